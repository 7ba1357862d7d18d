using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet;

/// <summary>
/// The virtio-net device at run time, the same under every transport: the device, its host back end
/// (a TAP and a steering back end), and its threads: one <see cref="QueuePairWorker"/> per queue pair
/// and one <see cref="ControlQueueWorker"/>, started when the driver activates the device and stopped
/// (and joined) when it resets it, halts it or switches bus mastering off; a reset and a new
/// activation bring them back. The transport binds guest memory and one kick fd per queue; the
/// workers signal through the transport's <see cref="IVirtioInterrupts"/>.
/// </summary>
public sealed class NetDeviceRuntime : INetDeviceHost, IDisposable
{
    private readonly object _lock = new();
    private readonly Action<string> _log;
    private List<QueuePairWorker> _pairWorkers = [];
    private ControlQueueWorker? _controlWorker;
    private IGuestMemory? _memory;
    private IReadOnlyList<FileDescriptor?> _kicks = [];
    private bool _busMaster = true;
    private bool _disposed;

    /// <param name="name">The NIC's name in thread names and logs, e.g. "net0".</param>
    /// <param name="log">Where one-line diagnostics go (stderr by default).</param>
    public NetDeviceRuntime(string name, VirtioNetOptions options, INetBackend backend, Action<string>? log = null)
    {
        if (options.QueuePairs > backend.QueuePairs)
        {
            throw new ArgumentException($"{name}: {options.QueuePairs} queue pairs but the back end has {backend.QueuePairs}");
        }
        Name = name;
        Backend = backend;
        _log = log ?? (line => Console.Error.WriteLine($"minivmm: {line}"));
        Device = new VirtioNetDevice(options, this);
    }

    public string Name { get; }

    public VirtioNetDevice Device { get; }

    public INetBackend Backend { get; }

    /// <summary>The queue pair workers running now (diagnostics and tests).</summary>
    public int RunningPairWorkers
    {
        get { lock (_lock) return _pairWorkers.Count(w => w.IsRunning); }
    }

    /// <summary>True while the control queue's worker runs.</summary>
    public bool ControlWorkerRunning
    {
        get { lock (_lock) return _controlWorker?.IsRunning == true; }
    }

    /// <summary>
    /// Where the workers find guest memory and each queue's kick fd (indexed by queue; null where the
    /// transport has none). <paramref name="busMaster"/> is the transport's starting DMA permission
    /// (virtio-pci: Bus Master Enable, clear after reset; vhost-user: always on).
    /// </summary>
    public void Bind(IGuestMemory memory, IReadOnlyList<FileDescriptor?> kicks, bool busMaster)
    {
        lock (_lock)
        {
            _memory = memory;
            _kicks = kicks;
            _busMaster = busMaster;
        }
    }

    public void Activated(ulong negotiatedFeatures)
    {
        lock (_lock)
        {
            Backend.Activate(negotiatedFeatures);
            if (ApplySteering(SteeringState.Initial) is string error)
            {
                _log($"{Name}: cannot set up steering at activation: {error}");
            }
            if (_busMaster) StartWorkers();
        }
    }

    public void Stopped() => StopWorkers();

    public void Notified(int queueIndex)
    {
        FileDescriptor? kick;
        lock (_lock) kick = (uint)queueIndex < (uint)_kicks.Count ? _kicks[queueIndex] : null;
        if (kick is not null) EventFd.Signal(kick);
    }

    public void BusMasterChanged(bool enabled)
    {
        lock (_lock) _busMaster = enabled;
        if (!enabled)
        {
            StopWorkers(); // PCI: no DMA while Bus Master Enable is clear
            return;
        }
        lock (_lock)
        {
            if (Device.IsActive && _pairWorkers.Count == 0 && _controlWorker is null) StartWorkers();
        }
    }

    /// <summary>
    /// Steers as <paramref name="next"/> says. A host failure (an ioctl, a BPF map update) fails the
    /// guest's command instead of the VM: the previous state is put back and the error returned.
    /// </summary>
    public string? ApplySteering(SteeringState next)
    {
        SteeringState previous = Device.Steering;
        try
        {
            Backend.Apply(next);
            return null;
        }
        catch (Exception e) when (e is SyscallException or TapException or ObjectDisposedException)
        {
            try
            {
                Backend.Apply(previous);
            }
            catch (Exception again) when (again is SyscallException or TapException or ObjectDisposedException)
            {
                _log($"{Name}: could not restore the previous steering either: {again.Message}");
            }
            return e.Message;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
        }
        StopWorkers();
        Backend.Dispose();
    }

    /// <summary>One worker per data pair with a queue the driver enabled, and one for the control queue. Called with the lock held.</summary>
    private void StartWorkers()
    {
        if (_disposed || _memory is null) return;
        var context = new DeviceWorkerContext(_memory, Device.Interrupts, Device);
        for (int k = 0; k < Device.Pairs.Count; k++)
        {
            NetQueuePair pair = Device.Pairs[k];
            // Without MQ (or RSS) only pair 0 carries data: queue 2 is then the control queue (§5.1.2).
            if (!Device.TryGetPairOfQueue(pair.RxQueueIndex, out _, out _)) break;
            if (!pair.RxQueue.IsEnabled && !pair.TxQueue.IsEnabled) continue;
            var worker = new QueuePairWorker($"{Name}-qp{k}", pair, Backend.PortOf(k), context, KickOf(pair.RxQueueIndex), KickOf(pair.TxQueueIndex));
            _pairWorkers.Add(worker);
            worker.Start();
        }
        int control = Device.ControlQueueIndex;
        if (Device.HasFeature(VirtioNetFeature.CtrlVq) && Device.Queues[control].IsEnabled && KickOf(control) is FileDescriptor kick)
        {
            _controlWorker = new ControlQueueWorker($"{Name}-ctrl", context, kick, _log);
            _controlWorker.Start();
        }
    }

    /// <summary>Stops and joins every worker (except the calling one, which stops by itself). Never holds the lock while joining.</summary>
    private void StopWorkers()
    {
        List<QueuePairWorker> pairs;
        ControlQueueWorker? control;
        lock (_lock)
        {
            pairs = _pairWorkers;
            control = _controlWorker;
            _pairWorkers = [];
            _controlWorker = null;
        }
        control?.Dispose();
        foreach (QueuePairWorker worker in pairs) worker.Dispose();
    }

    private FileDescriptor? KickOf(int queue) => (uint)queue < (uint)_kicks.Count ? _kicks[queue] : null;
}
