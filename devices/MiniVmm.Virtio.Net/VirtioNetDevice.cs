using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Rss;
using MiniVmm.Virtio.Net.Control;
using MiniVmm.Virtio.Queues;

namespace MiniVmm.Virtio.Net;

/// <summary>
/// The virtio-net device (virtio 1.2 §5.1), the same under every transport: feature offer, device
/// configuration, the queues and queue pairs (receiveq k = 2k, transmitq k = 2k+1), the control
/// queue, and the one <see cref="SteeringState"/> in force. It never touches a thread, an fd or a
/// transport: lifecycle events go to its <see cref="INetDeviceHost"/>, which runs the workers.
/// </summary>
public sealed class VirtioNetDevice : IVirtioDevice
{
    /// <summary>Bytes of struct virtio_net_config up to supported_hash_types (§5.1.4).</summary>
    public const int ConfigBytes = 24;


    private const ushort StatusLinkUp = 1; // VIRTIO_NET_S_LINK_UP

    private readonly SplitQueue[] _queues;
    private readonly VirtioNetControlQueue _control;
    private readonly INetDeviceHost _host;
    private IVirtioInterrupts? _interrupts;
    private SteeringState _steering = SteeringState.Initial;
    private readonly Lock _failureLock = new();
    private VirtioFailure? _lastFailure;
    private bool _needsReset;
    private volatile bool _active;
    private volatile bool _linkUp = true;
    private ulong _features;

    public VirtioNetDevice(VirtioNetOptions options, INetDeviceHost host)
    {
        options.Validate();
        Options = options;
        _host = host;
        DeviceFeatures = options.Features ?? OfferedFeatures(options);
        _queues = new SplitQueue[2 * options.QueuePairs + 1];
        for (int i = 0; i < _queues.Length; i++)
        {
            // The control queue too: a vhost-user front end sizes every ring itself (UML: 256) without asking.
            _queues[i] = new SplitQueue(options.QueueSize);
        }
        Pairs = Enumerable.Range(0, options.QueuePairs).Select(i => new NetQueuePair(i, _queues[2 * i], _queues[2 * i + 1])).ToArray();
        _control = new VirtioNetControlQueue(this);
    }

    public VirtioNetOptions Options { get; }

    public int DeviceType => 1;

    public ulong DeviceFeatures { get; }

    public IReadOnlyList<SplitQueue> Queues => _queues;

    public int ConfigSizeBytes => ConfigBytes;

    /// <summary>Every queue pair the device has (max_virtqueue_pairs).</summary>
    public IReadOnlyList<NetQueuePair> Pairs { get; }

    /// <summary>Features the driver accepted, valid while <see cref="IsActive"/>.</summary>
    public ulong NegotiatedFeatures => Interlocked.Read(ref _features);

    /// <summary>DRIVER_OK was set and no reset or DEVICE_NEEDS_RESET happened since.</summary>
    public bool IsActive => _active;

    /// <summary>The transport's notifications, for the workers (set by <see cref="Bind"/>).</summary>
    public IVirtioInterrupts Interrupts => _interrupts ?? throw new InvalidOperationException("device not bound to a transport");

    /// <summary>Where received packets go now; swapped whole by the control queue, read by the workers.</summary>
    public SteeringState Steering => Volatile.Read(ref _steering);

    public bool LinkUp => _linkUp;

    /// <summary>
    /// True from a failure the transport reported (<see cref="Halt"/>) until the driver resets the
    /// device: virtio-pci's DEVICE_NEEDS_RESET (§2.1.2).
    /// </summary>
    public bool NeedsReset
    {
        get { lock (_failureLock) return _needsReset; }
    }

    /// <summary>Why the device last needed a reset, or null if it never did; kept after the reset, for reports.</summary>
    public VirtioFailure? LastFailure
    {
        get { lock (_failureLock) return _lastFailure; }
    }

    /// <summary>The control queue's index: 2N, N = max pairs once MQ or RSS is negotiated, else 2 (§5.1.2).</summary>
    public int ControlQueueIndex => HasFeature(VirtioNetFeature.Mq) || HasFeature(VirtioNetFeature.Rss) ? 2 * Pairs.Count : 2;

    public void Bind(IVirtioInterrupts interrupts) => _interrupts = interrupts;

    public bool HasFeature(int bit) => (NegotiatedFeatures & VirtioFeature.Bit(bit)) != 0;

    /// <summary>§5.1.3.1: "Some networking feature bits require other networking feature bits".</summary>
    public bool AcceptsFeatures(ulong driverFeatures)
    {
        bool Has(int bit) => (driverFeatures & VirtioFeature.Bit(bit)) != 0;
        if ((Has(VirtioNetFeature.GuestTso4) || Has(VirtioNetFeature.GuestTso6)) && !Has(VirtioNetFeature.GuestCsum))
        {
            return false;
        }
        if ((Has(VirtioNetFeature.HostTso4) || Has(VirtioNetFeature.HostTso6)) && !Has(VirtioNetFeature.Csum))
        {
            return false;
        }
        return !(Has(VirtioNetFeature.Mq) || Has(VirtioNetFeature.Rss)) || Has(VirtioNetFeature.CtrlVq);
    }

    /// <summary>
    /// Which pair a queue belongs to under the negotiated features; false for the control queue.
    /// Without VIRTIO_NET_F_CTRL_VQ there is no control queue (§5.1.2): a vhost-user front end such
    /// as QEMU keeps it and hands over only the 2N data rings, whatever MQ says.
    /// </summary>
    public bool TryGetPairOfQueue(int queueIndex, out int pair, out bool isReceive)
    {
        pair = queueIndex / 2;
        isReceive = queueIndex % 2 == 0;
        bool isControl = HasFeature(VirtioNetFeature.CtrlVq) && queueIndex == ControlQueueIndex;
        return queueIndex >= 0 && queueIndex < 2 * Pairs.Count && !isControl;
    }

    /// <summary>
    /// The receive pairs in use, set by a transport that carries VQ_PAIRS_SET another way (a vhost-user
    /// front end that keeps the control queue turns it into ring enables): the same as VQ_PAIRS_SET,
    /// so automatic steering replaces RSS (§5.1.6.5.5). Returns the host's error, or null.
    /// </summary>
    public string? SetReceivePairs(int pairs)
    {
        if (pairs < 1 || pairs > Pairs.Count) throw new ArgumentOutOfRangeException(nameof(pairs), pairs, $"1..{Pairs.Count}");
        if (pairs == Steering.Pairs) return null;
        RssConfiguration? current = Steering.Configuration;
        return TryApplySteering(current is { SteeringEnabled: true } ? null : current, pairs);
    }

    public void ReadConfig(int offset, Span<byte> data)
    {
        Span<byte> cfg = stackalloc byte[ConfigBytes];
        Options.Mac.WriteTo(cfg);
        BinaryPrimitives.WriteUInt16LittleEndian(cfg[6..], _linkUp ? StatusLinkUp : (ushort)0);
        BinaryPrimitives.WriteUInt16LittleEndian(cfg[8..], (ushort)Pairs.Count);
        BinaryPrimitives.WriteUInt16LittleEndian(cfg[10..], Options.Mtu);
        BinaryPrimitives.WriteUInt32LittleEndian(cfg[12..], 0xFFFF_FFFF); // speed unknown
        cfg[16] = 0xFF; // duplex unknown
        cfg[17] = RssConfiguration.MaxKeyBytes;
        BinaryPrimitives.WriteUInt16LittleEndian(cfg[18..], RssConfiguration.MaxTableLength);
        BinaryPrimitives.WriteUInt32LittleEndian(cfg[20..], (uint)VirtioNetHashTypes.All);
        RegisterWindow.Read(cfg, offset, data);
    }

    /// <summary>Every field is read-only for a modern driver (§5.1.4: mac is writable only through the legacy interface).</summary>
    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
    }

    /// <summary>
    /// Sets VIRTIO_NET_S_LINK_UP and sends a configuration change notification (§5.1.4.2). Returns
    /// whether it was sent: only a driver that set DRIVER_OK is notified; another reads the status
    /// when it next initializes the device.
    /// </summary>
    public bool SetLinkUp(bool up)
    {
        _linkUp = up;
        if (!_active || _interrupts is null)
        {
            return false;
        }
        _interrupts.SignalConfigurationChange();
        return true;
    }

    public void Activate(ulong negotiatedFeatures)
    {
        Interlocked.Exchange(ref _features, negotiatedFeatures);
        foreach (SplitQueue q in _queues)
        {
            q.SetFeatures(negotiatedFeatures);
        }
        foreach (NetQueuePair pair in Pairs)
        {
            pair.Configure(negotiatedFeatures);
        }
        Volatile.Write(ref _steering, SteeringState.Initial);
        _active = true;
        _host.Activated(negotiatedFeatures);
    }

    public void Reset()
    {
        _active = false;
        _host.Stopped(); // no worker touches a queue or the steering state past this line
        foreach (NetQueuePair pair in Pairs)
        {
            pair.Reset();
        }
        Interlocked.Exchange(ref _features, 0);
        Volatile.Write(ref _steering, SteeringState.Initial);
        lock (_failureLock) _needsReset = false;
    }

    public void Halt(VirtioFailure failure)
    {
        lock (_failureLock)
        {
            _lastFailure = failure;
            _needsReset = true;
        }
        _active = false;
        _host.Stopped();
    }

    public void NotifyQueue(int queueIndex)
    {
        if (_active)
        {
            _host.Notified(queueIndex);
        }
    }

    public void SetBusMaster(bool enabled) => _host.BusMasterChanged(enabled);

    /// <summary>Answers every pending control command; run by the control queue's worker.</summary>
    public ControlOutcome ProcessControlQueue(IGuestMemory memory) =>
        _active ? _control.Process(memory, _queues[ControlQueueIndex], ControlQueueIndex) : default;

    /// <summary>Asks the host to steer as <paramref name="next"/> says; only on success does it become the state in force.</summary>
    internal string? TryApplySteering(RssConfiguration? configuration, int pairs)
    {
        var next = new SteeringState(configuration, pairs, Steering.Generation + 1);
        string? error = _host.ApplySteering(next);
        if (error is null)
        {
            Volatile.Write(ref _steering, next);
        }
        return error;
    }

    /// <summary>What the device offers for these options (VERSION_1, ring and net features, offloads the back end can do).</summary>
    public static ulong OfferedFeatures(VirtioNetOptions o)
    {
        ulong f = VirtioFeature.Bit(VirtioFeature.Version1) | VirtioFeature.Bit(VirtioFeature.EventIdx)
            | VirtioFeature.Bit(VirtioFeature.IndirectDesc)
            | Bit(VirtioNetFeature.Mac) | Bit(VirtioNetFeature.Status) | Bit(VirtioNetFeature.CtrlVq)
            | Bit(VirtioNetFeature.Mq) | Bit(VirtioNetFeature.MrgRxbuf);
        if (o.Rss) { f |= Bit(VirtioNetFeature.Rss); }
        if (o.HashReport) { f |= Bit(VirtioNetFeature.HashReport); }
        if (o.Mtu != 0) { f |= Bit(VirtioNetFeature.Mtu); }
        // §5.1.3.1: TSO requires the matching checksum feature, so offer them together only.
        if ((o.BackendOffloads & NetOffloads.Checksum) != 0)
        {
            f |= Bit(VirtioNetFeature.Csum) | Bit(VirtioNetFeature.GuestCsum);
            if ((o.BackendOffloads & NetOffloads.Tso4) != 0) { f |= Bit(VirtioNetFeature.HostTso4) | Bit(VirtioNetFeature.GuestTso4); }
            if ((o.BackendOffloads & NetOffloads.Tso6) != 0) { f |= Bit(VirtioNetFeature.HostTso6) | Bit(VirtioNetFeature.GuestTso6); }
        }
        return f;
    }

    private static ulong Bit(int b) => 1UL << b;
}
