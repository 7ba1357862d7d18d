using MiniVmm.HostNet.VhostNet;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.VhostUser.FrontEnd;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet;

/// <summary>
/// The virtio-net device at run time, the same under every transport: the device, its host back end
/// (a TAP and a steering back end), and its threads: one <see cref="QueuePairWorker"/> per queue pair
/// and one <see cref="ControlQueueWorker"/>, started when the driver activates the device and stopped
/// (and joined) when it resets it, halts it or switches bus mastering off; a reset and a new
/// activation bring them back. The transport binds guest memory and one kick fd per queue; the
/// workers signal through the transport's <see cref="IVirtioInterrupts"/>. Given a
/// <see cref="VhostNetDataPath"/>, the kernel's vhost-net may carry the data rings instead of the pair
/// workers (chosen at each DRIVER_OK); the control queue and the steering stay here either way.
/// </summary>
public sealed class NetDeviceRuntime : INetDeviceHost, IDisposable
{
    private readonly object _lock = new();
    private readonly Action<string> _log;
    private readonly QueuePairWorker?[] _pairWorkers;
    private readonly VhostNetDataPath? _vhost;
    private bool _kernelRings;
    private ControlQueueWorker? _controlWorker;
    private IGuestMemory? _memory;
    private FileDescriptor?[] _kicks = [];
    private bool _busMaster = true;
    private bool _disposed;

    /// <param name="name">The NIC's name in thread names and logs, e.g. "net0".</param>
    /// <param name="log">Where one-line diagnostics go (stderr by default).</param>
    /// <param name="vhost">The kernel's vhost-net as an alternative data path, owned from now on; null: always in-process.</param>
    public NetDeviceRuntime(string name, VirtioNetOptions options, INetBackend backend, Action<string>? log = null, VhostNetDataPath? vhost = null)
    {
        if (options.QueuePairs > backend.QueuePairs)
        {
            throw new ArgumentException($"{name}: {options.QueuePairs} queue pairs but the back end has {backend.QueuePairs}");
        }
        Name = name;
        Backend = backend;
        _log = log ?? (line => Console.Error.WriteLine($"minivmm: {line}"));
        Device = new VirtioNetDevice(options, this);
        _pairWorkers = new QueuePairWorker?[options.QueuePairs];
        _kicks = new FileDescriptor?[Device.Queues.Count];
        _vhost = vhost;
        _vhost?.Attach(Device);
    }

    public string Name { get; }

    public VirtioNetDevice Device { get; }

    public INetBackend Backend { get; }

    /// <summary>The guest memory the transport bound, or null before it did.</summary>
    public IGuestMemory? Memory
    {
        get { lock (_lock) return _memory; }
    }

    /// <summary>The queue pair workers running now (diagnostics and tests).</summary>
    public int RunningPairWorkers
    {
        get { lock (_lock) return _pairWorkers.Count(w => w?.IsRunning == true); }
    }

    /// <summary>The kernel's vhost-net data path, when the runtime was given one.</summary>
    public VhostNetDataPath? Vhost => _vhost;

    /// <summary>True when the last DRIVER_OK gave the data rings to vhost-net (no pair worker runs then).</summary>
    public bool KernelCarriesRings
    {
        get { lock (_lock) return _kernelRings; }
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
        if (kicks.Count != Device.Queues.Count) throw new ArgumentException($"{kicks.Count} kick fds for {Device.Queues.Count} queues");
        lock (_lock)
        {
            _memory = memory;
            _kicks = [.. kicks];
            _busMaster = busMaster;
        }
    }

    /// <summary>
    /// A transport that starts rings one by one (vhost-user) hands over queue <paramref name="queue"/>'s
    /// kick fd once the queue is configured and enabled: the worker of its pair (or of the control
    /// queue) is restarted to watch it. Only while the device is active.
    /// </summary>
    public void StartRing(int queue, FileDescriptor kick)
    {
        lock (_lock)
        {
            StopWorkerOf(queue);
            _kicks[queue] = kick;
            if (Device.IsActive && _busMaster) StartWorkerOf(queue);
        }
    }

    /// <summary>
    /// Stops whatever serves queue <paramref name="queue"/>, forgets its kick fd, runs
    /// <paramref name="whileStopped"/> (the transport disables the queue there: no worker touches it),
    /// then serves the other queue of the same pair again if it is still enabled.
    /// </summary>
    public void StopRing(int queue, Action whileStopped)
    {
        lock (_lock)
        {
            StopWorkerOf(queue);
            _kicks[queue] = null;
            whileStopped();
            if (Device.IsActive && _busMaster) StartWorkerOf(queue);
        }
    }

    public void Activated(ulong negotiatedFeatures)
    {
        lock (_lock)
        {
            Backend.Activate(negotiatedFeatures);
            _kernelRings = _vhost?.Activate(negotiatedFeatures) == true;
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
        lock (_lock) kick = (uint)queueIndex < (uint)_kicks.Length ? _kicks[queueIndex] : null;
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
            if (Device.IsActive) StartWorkers(); // workers already running are left as they are
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
            _vhost?.SetPairs(next.Pairs); // with vhost-net: the rings of the pairs in use are served, the others not
            return null;
        }
        catch (Exception e) when (e is SyscallException or TapException or ObjectDisposedException or VhostBackendException)
        {
            try
            {
                Backend.Apply(previous);
                _vhost?.SetPairs(previous.Pairs);
            }
            catch (Exception again) when (again is SyscallException or TapException or ObjectDisposedException or VhostBackendException)
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
        _vhost?.Dispose(); // before the TAP: each vhost-net fd holds a TAP queue
        Backend.Dispose();
    }

    /// <summary>
    /// One worker per data pair with a queue the driver enabled, or the data rings to vhost-net, and one
    /// worker for the control queue. Called with the lock held.
    /// </summary>
    private void StartWorkers()
    {
        if (_kernelRings)
        {
            if (!TryStartKernelRings()) return;
        }
        else
        {
            for (int k = 0; k < Device.Pairs.Count; k++) StartWorkerOf(2 * k);
        }
        StartWorkerOf(Device.ControlQueueIndex);
    }

    /// <summary>
    /// The data rings to vhost-net. A ring the kernel refuses is a host failure of the device (§2.1.2:
    /// DEVICE_NEEDS_RESET), as a failing TAP is for a worker. Called with the lock held.
    /// </summary>
    private bool TryStartKernelRings()
    {
        if (_disposed || _memory is null) return false;
        try
        {
            _vhost!.StartRings();
            return true;
        }
        catch (VhostBackendException e)
        {
            _log($"{Name}: vhost-net refused a ring: {e.Message}");
            Device.Interrupts.MarkNeedsReset(new VirtioFailure(null, VirtioError.BackendFailed, $"vhost-net: {e.Message}"));
            return false;
        }
    }

    /// <summary>Starts the worker that serves <paramref name="queue"/>, if its queues are enabled. Called with the lock held.</summary>
    private void StartWorkerOf(int queue)
    {
        if (_disposed || _memory is null) return;
        var context = new DeviceWorkerContext(_memory, Device.Interrupts, Device);
        if (Device.TryGetPairOfQueue(queue, out int k, out _))
        {
            NetQueuePair pair = Device.Pairs[k];
            if (_kernelRings || _pairWorkers[k] is not null || (!pair.RxQueue.IsEnabled && !pair.TxQueue.IsEnabled)) return;
            var worker = new QueuePairWorker($"{Name}-qp{k}", pair, Backend.PortOf(k), context, KickOf(pair.RxQueueIndex), KickOf(pair.TxQueueIndex));
            _pairWorkers[k] = worker;
            worker.Start();
            return;
        }
        int control = Device.ControlQueueIndex;
        if (queue == control && _controlWorker is null && Device.HasFeature(VirtioNetFeature.CtrlVq)
            && Device.Queues[control].IsEnabled && KickOf(control) is FileDescriptor kick)
        {
            _controlWorker = new ControlQueueWorker($"{Name}-ctrl", context, kick, _log);
            _controlWorker.Start();
        }
    }

    /// <summary>
    /// Stops and joins the worker serving <paramref name="queue"/>. Called with the lock held, from the
    /// transport's thread: a worker never waits for this lock while it runs (see <see cref="StopWorkers"/>).
    /// </summary>
    private void StopWorkerOf(int queue)
    {
        if (Device.TryGetPairOfQueue(queue, out int k, out _))
        {
            QueuePairWorker? worker = _pairWorkers[k];
            _pairWorkers[k] = null;
            worker?.Dispose();
        }
        else if (queue == Device.ControlQueueIndex)
        {
            ControlQueueWorker? worker = _controlWorker;
            _controlWorker = null;
            worker?.Dispose();
        }
    }

    /// <summary>
    /// Stops and joins every worker (except the calling one, which stops by itself), then takes the data
    /// rings back from vhost-net. Never holds the lock while joining.
    /// </summary>
    private void StopWorkers()
    {
        QueuePairWorker?[] pairs;
        ControlQueueWorker? control;
        lock (_lock)
        {
            pairs = [.. _pairWorkers];
            control = _controlWorker;
            Array.Clear(_pairWorkers);
            _controlWorker = null;
        }
        control?.Dispose();
        foreach (QueuePairWorker? worker in pairs) worker?.Dispose();
        if (_vhost is null) return; // a vhost-user transport's thread may hold the lock while it joins a worker (StopWorkerOf)
        lock (_lock)
        {
            if (_memory is not null) _vhost.StopRings(_memory);
        }
    }

    private FileDescriptor? KickOf(int queue) => (uint)queue < (uint)_kicks.Length ? _kicks[queue] : null;
}
