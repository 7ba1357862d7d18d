using MiniVmm.Native;
using MiniVmm.Native.Net;

namespace MiniVmm.HostNet;

/// <summary>
/// One thread per queue pair (named e.g. "net0-qp1") blocking in epoll on the TAP queue fd, the
/// RX and TX kick eventfds, an optional re-steer eventfd and a stop eventfd. The loop only maps
/// events to <see cref="IQueuePairHandler"/> methods: no allocation, no lock per event.
/// A handler that throws ends the worker and is reported through the broken callback, never swallowed.
/// </summary>
public sealed class QueuePairWorker : IDisposable
{
    private const ulong TokenTap = 1, TokenRxKick = 2, TokenTxKick = 3, TokenResteer = 4, TokenStop = 5;

    private readonly FileDescriptor _tapFd;
    private readonly EventFd _rxKick, _txKick;
    private readonly EventFd? _resteer;
    private readonly IQueuePairHandler _handler;
    private readonly Action<QueuePairWorker, Exception> _onBroken;
    private readonly EventFd _stop = new();
    private readonly Epoll _epoll = new();
    private readonly Thread _thread;
    private EpollEvents _tapInterest = EpollEvents.In;
    private int _started, _stopped;
    private volatile bool _tapGone;

    /// <param name="name">The thread name, e.g. "net0-qp1".</param>
    /// <param name="tapFd">The pair's TAP queue fd (<see cref="TapQueue.Handle"/>).</param>
    /// <param name="rxKick">The guest's RX queue notification eventfd (KVM_IOEVENTFD).</param>
    /// <param name="txKick">The guest's TX queue notification eventfd.</param>
    /// <param name="handler">The pair's packet work.</param>
    /// <param name="onBroken">Called once, on the worker thread, with the exception a handler threw; the device marks itself broken.</param>
    /// <param name="resteer">The software-steering wake-up of this pair, or null.</param>
    public QueuePairWorker(string name, FileDescriptor tapFd, EventFd rxKick, EventFd txKick, IQueuePairHandler handler,
        Action<QueuePairWorker, Exception> onBroken, EventFd? resteer = null)
    {
        Name = name;
        _tapFd = tapFd;
        _rxKick = rxKick;
        _txKick = txKick;
        _resteer = resteer;
        _handler = handler;
        _onBroken = onBroken;
        try
        {
            _epoll.Add(tapFd, _tapInterest, TokenTap);
            _epoll.Add(rxKick.Handle, EpollEvents.In, TokenRxKick);
            _epoll.Add(txKick.Handle, EpollEvents.In, TokenTxKick);
            if (resteer is not null) _epoll.Add(resteer.Handle, EpollEvents.In, TokenResteer);
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

    /// <summary>The exception that ended the worker, or null.</summary>
    public Exception? Fault { get; private set; }

    /// <summary>True while the thread runs.</summary>
    public bool IsRunning => _thread.IsAlive;

    /// <summary>The managed thread id of the worker (handlers may assert they run on it).</summary>
    public int ThreadId => _thread.ManagedThreadId;

    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException($"{Name} already started");
        _thread.Start();
    }

    /// <summary>
    /// Chooses which TAP readiness wakes the worker. Call only from the handler (the worker thread):
    /// drop readable while the guest has no RX buffers (else level-triggered epoll spins), add
    /// writable after <see cref="TapQueue.Write"/> returned false (TX back-pressure).
    /// </summary>
    public void WatchTap(bool readable, bool writable)
    {
        if (_tapGone) return;
        EpollEvents wanted = (readable ? EpollEvents.In : 0) | (writable ? EpollEvents.Out : 0);
        if (wanted == _tapInterest) return;
        _epoll.Modify(_tapFd, wanted, TokenTap);
        _tapInterest = wanted;
    }

    /// <summary>
    /// True once the TAP queue reported an error or hang-up (the interface was deleted under us):
    /// epoll would report it forever, so the worker stops watching the fd instead of spinning.
    /// </summary>
    public bool TapGone => _tapGone;

    /// <summary>The current TAP interest (for tests and diagnostics).</summary>
    public (bool Readable, bool Writable) TapInterest => ((_tapInterest & EpollEvents.In) != 0, (_tapInterest & EpollEvents.Out) != 0);

    /// <summary>Signals the stop eventfd and joins the thread (unless called from the worker itself). Idempotent.</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref _stopped, 1) == 0 && !_stop.Handle.IsClosed) _stop.Signal();
        if (Volatile.Read(ref _started) != 0 && Thread.CurrentThread != _thread) _thread.Join();
    }

    public void Dispose()
    {
        Stop();
        _epoll.Dispose();
        _stop.Dispose();
    }

    private void Run()
    {
        Span<EpollEvent> events = stackalloc EpollEvent[8];
        try
        {
            while (true)
            {
                int n = _epoll.Wait(events, -1);
                for (int i = 0; i < n; i++)
                {
                    EpollEvent ev = events[i];
                    switch (ev.Token)
                    {
                        case TokenStop:
                            return;
                        case TokenTap:
                            if ((ev.Events & (EpollEvents.Err | EpollEvents.Hup)) != 0)
                            {
                                // Level-triggered ERR/HUP never clears: let the handler read what is left, then unwatch.
                                _tapGone = true;
                                _epoll.Remove(_tapFd);
                                _handler.OnTapReadable();
                                break;
                            }
                            if ((ev.Events & EpollEvents.In) != 0 && (_tapInterest & EpollEvents.In) != 0) _handler.OnTapReadable();
                            if ((ev.Events & EpollEvents.Out) != 0 && (_tapInterest & EpollEvents.Out) != 0)
                            {
                                WatchTap((_tapInterest & EpollEvents.In) != 0, writable: false);
                                _handler.OnTapWritable();
                            }
                            break;
                        case TokenRxKick:
                            _rxKick.Drain();
                            _handler.OnRxKick();
                            break;
                        case TokenTxKick:
                            _txKick.Drain();
                            _handler.OnTxKick();
                            break;
                        case TokenResteer:
                            _resteer!.Drain();
                            _handler.OnResteered();
                            break;
                    }
                }
                if (Volatile.Read(ref _stopped) != 0) return;
            }
        }
        catch (Exception e)
        {
            Fault = e;
            try
            {
                _onBroken(this, e);
            }
            catch (Exception callbackError)
            {
                Fault = new AggregateException($"{Name}: handler failed and so did the broken callback", e, callbackError);
            }
        }
    }
}
