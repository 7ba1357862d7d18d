using MiniVmm.Native;
using MiniVmm.Native.Net;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet;

/// <summary>
/// The control queue's event loop: one named thread ("net0-ctrl") blocking in its own epoll on the
/// control queue's kick fd and a stop eventfd, answering every pending command on each kick. A
/// steering change (TUNSETQUEUE, a BPF map update) runs here, off the vCPU. Host errors that made a
/// command fail are logged; a protocol error is reported to the transport once.
/// </summary>
public sealed class ControlQueueWorker : IDisposable
{
    private const ulong TokenKick = 1, TokenStop = 2;

    private readonly DeviceWorkerContext _context;
    private readonly FileDescriptor _kick;
    private readonly Action<string> _log;
    private readonly EventFd _stop = new();
    private readonly Epoll _epoll = new();
    private readonly Thread _thread;
    private int _started, _stopped;

    public ControlQueueWorker(string name, DeviceWorkerContext context, FileDescriptor kick, Action<string> log)
    {
        Name = name;
        _context = context;
        _kick = kick;
        _log = log;
        try
        {
            _epoll.Add(kick, EpollEvents.In, TokenKick);
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

    public bool IsRunning => _thread.IsAlive;

    public void Start()
    {
        if (Interlocked.Exchange(ref _started, 1) != 0) throw new InvalidOperationException($"{Name} already started");
        _thread.Start();
    }

    /// <summary>Signals the stop eventfd and joins the thread (unless called from it). Idempotent.</summary>
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
        Span<EpollEvent> events = stackalloc EpollEvent[2];
        bool work = true; // a command may have been queued before this activation's worker started
        try
        {
            while (true)
            {
                int n = _epoll.Wait(events, work ? 0 : -1);
                for (int i = 0; i < n; i++)
                {
                    if (events[i].Token == TokenStop) return;
                    EventFd.Drain(_kick);
                    work = true;
                }
                if (!work) continue;
                work = false;
                VirtioNetDevice device = _context.Device;
                ControlOutcome outcome = device.ProcessControlQueue(_context.Memory);
                if (outcome.NeedsNotification) _context.Interrupts.SignalQueue(device.ControlQueueIndex);
                if (outcome.HostError is string error) _log($"{Name}: a control command failed on the host: {error}");
                if (outcome.Failure is VirtioFailure failure)
                {
                    Fail(failure);
                    return;
                }
            }
        }
        catch (Exception e)
        {
            Fail(new VirtioFailure(null, VirtioError.WorkerFault, $"{Name}: {e.GetType().Name}: {e.Message}"));
        }
    }

    private void Fail(VirtioFailure failure)
    {
        try
        {
            _context.Interrupts.MarkNeedsReset(failure);
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"minivmm: {Name}: failed ({failure}) and could not report it: {e.Message}");
        }
        WorkerParking.WaitForStop(_stop, ref _stopped);
    }
}
