using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Native.Net;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet;

/// <summary>
/// The event loop of one queue pair, in one place: one named thread (e.g. "net0-qp1") blocking in
/// its own epoll on the pair's TAP queue fd, RX and TX kick fds, the port's hand-over wake-up and a
/// stop eventfd. Each round serves at most one budget of TX and one of RX, then returns to epoll
/// (without blocking while work is left), so neither direction starves the other. What it watches
/// next follows from what the queue pair returned: no RX buffers in the guest, stop watching the TAP
/// until the RX kick; the TAP full, watch it for writability. A failure the pair reports (or an
/// exception, which is our bug) is reported once to the transport, and the worker then only waits
/// to be stopped. Started at activation, stopped and joined at reset: one instance per activation.
/// </summary>
public sealed class QueuePairWorker : IDisposable
{
    private const ulong TokenTap = 1, TokenRxKick = 2, TokenTxKick = 3, TokenWakeup = 4, TokenStop = 5;

    private readonly NetQueuePair _pair;
    private readonly IPairPort _port;
    private readonly DeviceWorkerContext _context;
    private readonly FileDescriptor? _rxKick, _txKick;
    private readonly EventFd _stop = new();
    private readonly Epoll _epoll = new();
    private readonly Thread _thread;
    private EpollEvents _tapInterest = EpollEvents.In;
    private bool _tapWatched = true;
    private int _started, _stopped;

    /// <param name="rxKick">The receive queue's notification fd (a KVM ioeventfd, or a vhost-user kick fd); null: not set up.</param>
    /// <param name="txKick">The transmit queue's notification fd; null: not set up.</param>
    public QueuePairWorker(string name, NetQueuePair pair, IPairPort port, DeviceWorkerContext context, FileDescriptor? rxKick, FileDescriptor? txKick)
    {
        Name = name;
        _pair = pair;
        _port = port;
        _context = context;
        _rxKick = rxKick;
        _txKick = txKick;
        try
        {
            _epoll.Add(port.Handle, _tapInterest, TokenTap);
            if (rxKick is not null) _epoll.Add(rxKick, EpollEvents.In, TokenRxKick);
            if (txKick is not null) _epoll.Add(txKick, EpollEvents.In, TokenTxKick);
            if (port.Wakeup is EventFd wakeup) _epoll.Add(wakeup.Handle, EpollEvents.In, TokenWakeup);
            _epoll.Add(_stop.Handle, EpollEvents.In, TokenStop);
        }
        catch
        {
            _epoll.Dispose();
            _stop.Dispose();
            throw;
        }
        _thread = new Thread(Run) { Name = name, IsBackground = true };
    }

    public string Name { get; }

    /// <summary>True while the thread runs.</summary>
    public bool IsRunning => _thread.IsAlive;

    /// <summary>The failure this worker reported, or null.</summary>
    public VirtioFailure? Failure { get; private set; }

    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException($"{Name} already started");
        _thread.Start();
    }

    /// <summary>Signals the stop eventfd and joins the thread (unless called from the worker itself). Idempotent.</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0) _stop.Signal();
        if (Volatile.Read(ref _started) != 0 && Thread.CurrentThread != _thread) _thread.Join();
    }

    /// <summary>Stops the worker; its thread releases the epoll and stop eventfd as it ends.</summary>
    public void Dispose()
    {
        Stop();
        if (Volatile.Read(ref _started) == 0) ReleaseFds();
    }

    private void Run()
    {
        try
        {
            Serve();
        }
        finally
        {
            ReleaseFds();
        }
    }

    private void ReleaseFds()
    {
        _epoll.Dispose();
        _stop.Dispose();
    }

    private void Serve()
    {
        Span<EpollEvent> events = stackalloc EpollEvent[8];
        IGuestMemory memory = _context.Memory;
        bool rxWork = true, txWork = true, serveStalled = false;
        bool rxStalled = false, txBlocked = false;
        try
        {
            _port.SetRxStalled(false); // a worker of an earlier activation may have left it stalled
            while (true)
            {
                int n = _epoll.Wait(events, rxWork || txWork || serveStalled ? 0 : -1);
                for (int i = 0; i < n; i++)
                {
                    switch (events[i].Token)
                    {
                        case TokenStop:
                            return;
                        case TokenTap:
                            EpollEvents ready = events[i].Events;
                            if ((ready & (EpollEvents.Err | EpollEvents.Hup)) != 0)
                            {
                                // The interface went away under us: level-triggered ERR/HUP never clears.
                                // Take what is left, then stop watching instead of spinning.
                                UnwatchTap();
                                rxWork = true;
                                break;
                            }
                            if ((ready & EpollEvents.In) != 0)
                            {
                                if (rxStalled) serveStalled = _port.ServesWhileStalled;
                                else rxWork = true;
                            }
                            if ((ready & EpollEvents.Out) != 0)
                            {
                                txBlocked = false;
                                txWork = true;
                            }
                            break;
                        case TokenRxKick:
                            EventFd.Drain(_rxKick!);
                            if (rxStalled) _port.SetRxStalled(false);
                            rxStalled = false;
                            rxWork = true;
                            break;
                        case TokenTxKick:
                            EventFd.Drain(_txKick!);
                            txWork = true;
                            break;
                        case TokenWakeup:
                            // Packets handed to this pair, or room in a ring the port waits for (IsTapPaused).
                            _port.Wakeup!.Drain();
                            if (rxStalled) serveStalled = _port.ServesWhileStalled;
                            else rxWork = true;
                            break;
                    }
                }
                if (txWork && !txBlocked)
                {
                    TxOutcome tx = _pair.ProcessTx(memory, _port);
                    if (tx.NeedsNotification) _context.Interrupts.SignalQueue(_pair.TxQueueIndex);
                    if (tx.Failure is VirtioFailure txFailure) { Fail(txFailure); return; }
                    txWork = tx.Stop == TxStop.BudgetUsed;
                    txBlocked = tx.Stop == TxStop.BackendFull;
                }
                if (rxWork && !rxStalled)
                {
                    RxOutcome rx = _pair.ProcessRx(memory, _port, _context.Steering.Configuration);
                    if (rx.NeedsNotification) _context.Interrupts.SignalQueue(_pair.RxQueueIndex);
                    if (rx.Failure is VirtioFailure rxFailure) { Fail(rxFailure); return; }
                    rxWork = rx.Stop == RxStop.BudgetUsed;
                    rxStalled = rx.Stop == RxStop.NoGuestBuffers;
                    if (rxStalled) _port.SetRxStalled(true);
                }
                if (serveStalled)
                {
                    _port.ServeWhileStalled(NetQueuePair.DefaultBudget);
                    serveStalled = false; // level-triggered: the TAP fd wakes us again if more is waiting
                }
                WatchTap(readable: (!rxStalled || _port.ServesWhileStalled) && !_port.IsTapPaused, writable: txBlocked);
            }
        }
        catch (Exception e)
        {
            Fail(new VirtioFailure(null, VirtioError.WorkerFault, $"{Name}: {e.GetType().Name}: {e.Message}"));
        }
    }

    /// <summary>Reports the failure once, then waits only for the stop eventfd (the pair is not served again until reset).</summary>
    private void Fail(VirtioFailure failure)
    {
        Failure = failure;
        _port.SetRxStalled(true); // this pair's ring is not drained any more: senders drop instead of waiting
        try
        {
            _context.Interrupts.MarkNeedsReset(failure);
        }
        catch (Exception e)
        {
            // Nothing is left to report to: say it on stderr rather than lose it.
            Console.Error.WriteLine($"minivmm: {Name}: failed ({failure}) and could not report it: {e.Message}");
        }
        WorkerParking.WaitForStop(_stop, ref _stopped);
    }

    private void WatchTap(bool readable, bool writable)
    {
        if (!_tapWatched) return;
        EpollEvents wanted = (readable ? EpollEvents.In : 0) | (writable ? EpollEvents.Out : 0);
        if (wanted == _tapInterest) return;
        _epoll.Modify(_port.Handle, wanted, TokenTap);
        _tapInterest = wanted;
    }

    private void UnwatchTap()
    {
        if (!_tapWatched) return;
        _tapWatched = false;
        _epoll.Remove(_port.Handle);
    }
}
