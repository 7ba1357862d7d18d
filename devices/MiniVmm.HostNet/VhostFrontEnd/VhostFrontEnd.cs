using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.VhostUser;
using MiniVmm.VhostUser.FrontEnd;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;
using MiniVmm.Virtio.Queues;

namespace MiniVmm.HostNet.VhostFrontEnd;

/// <summary>
/// A virtio-net device whose data path is a vhost back end (a vhost-user process, or the kernel's
/// vhost-net): the guest sees our <see cref="VirtioNetDevice"/> (features, config space, queues)
/// while the rings go to the back end at DRIVER_OK with the queue's kick eventfd (a KVM ioeventfd)
/// and its vector's irqfd as call fd, so the VMM is off the data path. A back end that serves the
/// control queue (CTRL_VQ with RSS or HASH_REPORT) gets it too; otherwise the VMM answers it for MQ
/// only, as QEMU does, turning VQ_PAIRS_SET into ring enables. A guest reset stops every ring
/// (GET_VRING_BASE). A back end that goes away takes the link down; given a way to reconnect, the
/// front end keeps trying for a while, then restores the rings on the new back end (features, memory,
/// each ring resumed from its used index in guest memory) and brings the link up: the guest keeps its
/// device. Without one, or when the time runs out, <see cref="BackendLost"/> says so.
/// </summary>
public sealed class VhostFrontEnd : INetDeviceHost, IDisposable
{
    private readonly object _lock = new();
    private IVhostBackend _backend;
    private ulong _negotiated;
    private Thread? _reconnecting;
    private readonly Action<string> _log;
    private readonly bool[] _started;
    private readonly EventFd _noVector = new();
    private IGuestMemory? _memory;
    private IReadOnlyList<SharedMemoryRegion> _regions = [];
    private IReadOnlyList<FileDescriptor> _kicks = [];
    private Func<int, FileDescriptor?> _callOfVector = _ => null;
    private ControlQueueWorker? _control;
    private bool _busMaster;
    private bool _disposed;

    /// <param name="mac">The guest's MAC when given; else the back end's (when it has a config space), else the default.</param>
    /// <param name="maxPairs">At most this many queue pairs (`queues=`), even if the back end serves more.</param>
    public VhostFrontEnd(string name, IVhostBackend backend, MacAddress? mac, int? maxPairs, Action<string> log)
    {
        Name = name;
        _backend = backend;
        _log = log;
        Features = VhostFeatures.ForGuest(backend, Math.Min(backend.QueuePairs, maxPairs ?? int.MaxValue), out bool servesControl);
        BackendServesControlQueue = servesControl;
        Span<byte> config = stackalloc byte[VirtioNetDevice.ConfigBytes];
        bool hasConfig = backend.TryReadConfig(config);
        MacAddress? backendMac = hasConfig && (backend.Features & VirtioFeature.Bit(VirtioNetFeature.Mac)) != 0 ? MacAddress.Read(config) : null;
        if (mac is null && backendMac is { } offered && (offered.Value == 0 || offered.IsMulticast))
        {
            // Not a MAC a NIC may have: the back end's word is not followed, and the log says so.
            log($"{name}: the back end's MAC {offered} is not a unicast address: the guest gets {MacAddress.Default}");
            backendMac = null;
        }
        int pairs = Math.Clamp(Math.Min(backend.QueuePairs, maxPairs ?? int.MaxValue), 1, VirtioNetOptions.MaxQueuePairsLimit);
        Device = new VirtioNetDevice(new VirtioNetOptions { QueuePairs = pairs, Mac = mac ?? backendMac ?? MacAddress.Default, Features = Features }, this);
        _started = new bool[Device.Queues.Count];
        backend.ConfigChanged += OnBackendConfigChanged;
        backend.Disconnected += OnBackendGone;
        if (hasConfig) Device.SetLinkUp(LinkUpIn(config));
    }

    public string Name { get; }

    public VirtioNetDevice Device { get; }

    /// <summary>What the guest is offered: the back end's features masked to what the transport serves, plus what the VMM adds.</summary>
    public ulong Features { get; }

    /// <summary>True when the control queue goes to the back end with the data rings.</summary>
    public bool BackendServesControlQueue { get; }

    /// <summary>How to reach the back end again after it went away, and for how long to try; null: do not.</summary>
    public (Func<IVhostBackend> Connect, TimeSpan Patience)? Reconnect { get; init; }

    /// <summary>Raised (once) when the back end went away for good: the machine decides what that means.</summary>
    public event Action<string>? BackendLost;

    /// <summary>Reconnections that restored the rings (diagnostics and tests).</summary>
    public int Reconnections { get; private set; }

    /// <summary>
    /// Guest memory (for the control queue the VMM answers), its regions as the back end maps them,
    /// one kick eventfd per queue, and the irqfd eventfd of each MSI-X vector (null: none).
    /// </summary>
    public void Bind(IGuestMemory memory, IReadOnlyList<SharedMemoryRegion> regions, IReadOnlyList<FileDescriptor> kicks, Func<int, FileDescriptor?> callOfVector)
    {
        if (kicks.Count != Device.Queues.Count) throw new ArgumentException($"{kicks.Count} kick fds for {Device.Queues.Count} queues");
        lock (_lock)
        {
            _memory = memory;
            _regions = regions;
            _kicks = kicks;
            _callOfVector = callOfVector;
        }
    }

    public void Activated(ulong negotiatedFeatures)
    {
        lock (_lock)
        {
            _negotiated = negotiatedFeatures;
            try
            {
                _backend.SetFeatures(negotiatedFeatures & _backend.Features);
                _backend.SetMemoryTable(_regions);
                if (_busMaster) StartRings();
            }
            catch (VhostBackendException e)
            {
                _log($"{Name}: the back end refused the device's set-up: {e.Message}");
                Device.SetLinkUp(false);
            }
        }
    }

    public void Stopped()
    {
        lock (_lock) StopRings();
    }

    public void Notified(int queueIndex)
    {
        FileDescriptor? kick;
        lock (_lock) kick = (uint)queueIndex < (uint)_kicks.Count ? _kicks[queueIndex] : null;
        if (kick is not null) EventFd.Signal(kick);
    }

    public void BusMasterChanged(bool enabled)
    {
        lock (_lock)
        {
            _busMaster = enabled;
            if (!enabled) StopRings();
            else if (Device.IsActive) StartRings();
        }
    }

    /// <summary>VQ_PAIRS_SET answered by the VMM: the rings of the pairs in use are enabled, the others disabled.</summary>
    public string? ApplySteering(SteeringState next)
    {
        if (BackendServesControlQueue) return null;
        try
        {
            lock (_lock)
            {
                for (int k = 0; k < Device.Pairs.Count; k++)
                {
                    foreach (int q in new[] { 2 * k, 2 * k + 1 })
                    {
                        if (_started[q]) _backend.SetRingEnabled(q, k < next.Pairs);
                    }
                }
            }
            return null;
        }
        catch (VhostBackendException e)
        {
            return e.Message;
        }
    }

    public void Dispose()
    {
        Thread? reconnecting;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            StopRings();
            reconnecting = _reconnecting;
        }
        reconnecting?.Join();
        _backend.ConfigChanged -= OnBackendConfigChanged;
        _backend.Disconnected -= OnBackendGone;
        _backend.Dispose();
        _noVector.Dispose();
    }

    /// <summary>Hands every enabled queue to the back end (the control queue only if it serves it). Called with the lock held.</summary>
    private void StartRings()
    {
        if (_disposed || _memory is null) return;
        for (int q = 0; q < Device.Queues.Count; q++)
        {
            SplitQueue queue = Device.Queues[q];
            bool isControl = !Device.TryGetPairOfQueue(q, out _, out _);
            if (_started[q] || !queue.IsEnabled || (isControl && !BackendServesControlQueue)) continue;
            FileDescriptor call = _callOfVector(queue.MsixVector) ?? _noVector.Handle;
            _backend.StartRing(new VhostRing(q, queue.Size, queue.DescriptorTable, queue.DriverArea, queue.DeviceArea), queue.NextAvail, _kicks[q], call);
            _started[q] = true;
        }
        int control = Device.ControlQueueIndex;
        if (!BackendServesControlQueue && _control is null && Device.HasFeature(VirtioNetFeature.CtrlVq) && Device.Queues[control].IsEnabled)
        {
            _control = new ControlQueueWorker($"{Name}-ctrl", new DeviceWorkerContext(_memory, Device.Interrupts, Device), _kicks[control], _log);
            _control.Start();
        }
        if (!BackendServesControlQueue && ApplySteering(Device.Steering) is string error) _log($"{Name}: {error}");
    }

    /// <summary>GET_VRING_BASE for every started ring; each queue resumes from the answer. Called with the lock held.</summary>
    private void StopRings()
    {
        ControlQueueWorker? control = _control;
        _control = null;
        control?.Dispose();
        for (int q = 0; q < _started.Length; q++)
        {
            if (!_started[q]) continue;
            _started[q] = false;
            try
            {
                ushort lastAvail = _backend.StopRing(q);
                SplitQueue queue = Device.Queues[q];
                if (queue.IsEnabled && _memory is not null) queue.SetBase(lastAvail, queue.ReadUsedIndex(_memory));
            }
            catch (VhostBackendException e)
            {
                _log($"{Name}: ring {q} did not stop cleanly: {e.Message}");
            }
        }
    }

    private void OnBackendConfigChanged()
    {
        Span<byte> config = stackalloc byte[VirtioNetDevice.ConfigBytes];
        try
        {
            if (_backend.TryReadConfig(config)) Device.SetLinkUp(LinkUpIn(config));
        }
        catch (VhostBackendException e)
        {
            _log($"{Name}: cannot read the back end's config after its change: {e.Message}");
        }
    }

    private void OnBackendGone()
    {
        _log($"{Name}: {_backend.Name} went away: link down");
        Device.SetLinkUp(false);
        if (Reconnect is not { } reconnect)
        {
            BackendLost?.Invoke($"{Name}: the vhost-user back end went away ({_backend.Name})");
            return;
        }
        lock (_lock)
        {
            if (_disposed || _reconnecting is not null) return;
            _reconnecting = new Thread(() => Reestablish(reconnect.Connect, reconnect.Patience)) { Name = $"{Name}-reconnect", IsBackground = true };
            _reconnecting.Start();
        }
    }

    /// <summary>Tries to reach a back end again once a second until <paramref name="patience"/> runs out.</summary>
    private void Reestablish(Func<IVhostBackend> connect, TimeSpan patience)
    {
        long deadline = Environment.TickCount64 + (long)patience.TotalMilliseconds;
        string why = "no attempt";
        while (Environment.TickCount64 < deadline)
        {
            lock (_lock)
            {
                if (_disposed) return;
            }
            try
            {
                IVhostBackend next = connect();
                if (TryRestore(next, out why))
                {
                    _log($"{Name}: reconnected to {next.Name}, rings restored: link up");
                    Device.SetLinkUp(true);
                    return;
                }
                next.Dispose();
            }
            catch (VhostBackendException e)
            {
                why = e.Message;
            }
            Thread.Sleep(1000); // the back end is not there yet: try again in a second
        }
        lock (_lock) _reconnecting = null;
        BackendLost?.Invoke($"{Name}: the vhost-user back end did not come back within {patience.TotalSeconds:0} s ({why})");
    }

    /// <summary>Puts <paramref name="next"/> in the old back end's place with the device's rings; false (and why) when it cannot serve them.</summary>
    private bool TryRestore(IVhostBackend next, out string why)
    {
        lock (_lock)
        {
            ulong wanted = _negotiated & _backend.Features;
            if ((next.Features & wanted) != wanted)
            {
                why = $"{next.Name} offers 0x{next.Features:x}, the device runs with 0x{wanted:x}";
                return false;
            }
            IVhostBackend old = _backend;
            old.ConfigChanged -= OnBackendConfigChanged;
            old.Disconnected -= OnBackendGone;
            old.Dispose();
            _backend = next;
            next.ConfigChanged += OnBackendConfigChanged;
            next.Disconnected += OnBackendGone;
            _control?.Dispose();
            _control = null;
            Array.Clear(_started);
            Reconnections++;
            _reconnecting = null;
            if (Device.IsActive && _memory is not null)
            {
                // The old back end never answered GET_VRING_BASE: a net device has used everything it took,
                // or dropped it, so each ring resumes at its used index (what QEMU does on reconnect).
                foreach (SplitQueue queue in Device.Queues)
                {
                    if (queue.IsEnabled)
                    {
                        ushort used = queue.ReadUsedIndex(_memory);
                        queue.SetBase(used, used);
                    }
                }
                next.SetFeatures(wanted);
                next.SetMemoryTable(_regions);
                if (_busMaster) StartRings();
            }
            why = "";
            return true;
        }
    }

    /// <summary>VIRTIO_NET_S_LINK_UP in the status field (byte 6) of struct virtio_net_config.</summary>
    private static bool LinkUpIn(ReadOnlySpan<byte> config) => (config[6] & 1) != 0;
}
