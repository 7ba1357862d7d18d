using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Virtio.Net.Control;
using MiniVmm.Rss;
using MiniVmm.Virtio.Queues;

namespace MiniVmm.Virtio.Net;

/// <summary>
/// The virtio-net device (virtio 1.2 §5.1): feature offer, device configuration, the queue pairs
/// (receiveq k = 2k, transmitq k = 2k+1) and the control queue. Holds the one current RSS
/// configuration and the number of active pairs, and tells subscribers when either changes.
/// </summary>
public sealed class VirtioNetDevice : IVirtioDevice
{
    /// <summary>Bytes of struct virtio_net_config up to supported_hash_types (§5.1.4).</summary>
    public const int ConfigBytes = 24;

    private const ushort StatusLinkUp = 1; // VIRTIO_NET_S_LINK_UP

    private readonly IGuestMemory _memory;
    private readonly SplitQueue[] _queues;
    private readonly VirtioNetControlQueue _control;
    private IVirtioInterrupts? _interrupts;
    private RssConfiguration? _rss;
    private int _activePairs = 1;
    private volatile bool _active;
    private volatile bool _linkUp = true;
    private ulong _features;

    public VirtioNetDevice(VirtioNetOptions options, IGuestMemory memory)
    {
        options.Validate();
        Options = options;
        _memory = memory;
        DeviceFeatures = OfferedFeatures(options);
        _queues = new SplitQueue[2 * options.QueuePairs + 1];
        for (int i = 0; i < _queues.Length; i++)
        {
            _queues[i] = new SplitQueue(i == _queues.Length - 1 ? (ushort)64 : options.QueueSize);
        }
        Pairs = Enumerable.Range(0, options.QueuePairs)
            .Select(i => new NetQueuePair(this, i, _queues[2 * i], _queues[2 * i + 1]))
            .ToArray();
        _control = new VirtioNetControlQueue(this);
    }

    public VirtioNetOptions Options { get; }

    public int DeviceType => 1;

    public ulong DeviceFeatures { get; }

    public IReadOnlyList<SplitQueue> Queues => _queues;

    public int ConfigSizeBytes => ConfigBytes;

    /// <summary>Every queue pair the device has (max_virtqueue_pairs); only the first <see cref="ActivePairs"/> are in use.</summary>
    public IReadOnlyList<NetQueuePair> Pairs { get; }

    /// <summary>Features the driver accepted, valid while <see cref="IsActive"/>.</summary>
    public ulong NegotiatedFeatures => Interlocked.Read(ref _features);

    /// <summary>DRIVER_OK was set and no reset or NEEDS_RESET happened since.</summary>
    public bool IsActive => _active;

    /// <summary>Pairs in use: 1 after reset, then VQ_PAIRS_SET or RSS_CONFIG's max_tx_vq (§5.1.6.5.5).</summary>
    public int ActivePairs => Volatile.Read(ref _activePairs);

    /// <summary>The RSS or hash configuration in force; null while hashing is off (the state after reset).</summary>
    public RssConfiguration? CurrentRss => Volatile.Read(ref _rss);

    /// <summary>The control queue's index: 2N, N = max pairs once MQ or RSS is negotiated, else 1 (§5.1.2).</summary>
    public int ControlQueueIndex => HasAny(VirtioNetFeature.Mq, VirtioNetFeature.Rss) ? 2 * Pairs.Count : 2;

    /// <summary>Computes hash reports when VIRTIO_NET_F_HASH_REPORT is negotiated; set by the machine.</summary>
    public IRxHashProvider? HashProvider { get; set; }

    /// <summary>Raised (on the control queue's thread) after a new RSS/hash configuration took effect, or null on reset.</summary>
    public event Action<RssConfiguration?>? RssChanged;

    /// <summary>Raised after the number of active pairs changed (the TAP back end attaches or detaches queues).</summary>
    public event Action<int>? ActivePairsChanged;

    /// <summary>Raised after DRIVER_OK, with the negotiated features (the back end sets its offloads).</summary>
    public event Action<ulong>? Activated;

    /// <summary>Raised when the driver reset the device (workers go idle until the next activation).</summary>
    public event Action? WasReset;

    internal IVirtioInterrupts Interrupts => _interrupts ?? throw new InvalidOperationException("device not bound to a transport");

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
    /// Which pair a queue belongs to under the negotiated features, false for the control queue
    /// (the machine registers a pair's kick eventfd only for its data queues, after <see cref="Activated"/>).
    /// </summary>
    public bool TryGetPairOfQueue(int queueIndex, out int pair, out bool isReceive)
    {
        pair = queueIndex / 2;
        isReceive = queueIndex % 2 == 0;
        return queueIndex >= 0 && queueIndex < 2 * Pairs.Count && queueIndex != ControlQueueIndex;
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

    /// <summary>Sets VIRTIO_NET_S_LINK_UP and sends a configuration change notification (§5.1.4.2).</summary>
    public void SetLinkUp(bool up)
    {
        _linkUp = up;
        if (_active)
        {
            Interrupts.SignalConfigurationChange();
        }
    }

    public void Activate(ulong negotiatedFeatures)
    {
        Interlocked.Exchange(ref _features, negotiatedFeatures);
        foreach (NetQueuePair pair in Pairs)
        {
            pair.Configure(negotiatedFeatures);
        }
        _active = true;
        Activated?.Invoke(negotiatedFeatures);
    }

    public void Reset()
    {
        _active = false;
        foreach (NetQueuePair pair in Pairs)
        {
            pair.ResetPair(); // waits for a running batch to finish
        }
        _control.Reset();
        Interlocked.Exchange(ref _features, 0);
        SetRss(null);
        SetActivePairs(1);
        WasReset?.Invoke();
    }

    public void NotifyQueue(int queueIndex)
    {
        // Data queues are kicked through the transport's QueueNotified event (or an ioeventfd);
        // the control queue is handled right here, on the notifying vCPU.
        if (_active && queueIndex == ControlQueueIndex)
        {
            ProcessControlQueue();
        }
    }

    /// <summary>Answers every pending control command (for a machine that wires the control queue to an eventfd).</summary>
    public void ProcessControlQueue() => Guard(() => _control.Process(_memory, _queues[ControlQueueIndex]));

    internal void SetRss(RssConfiguration? configuration)
    {
        if (!ReferenceEquals(Interlocked.Exchange(ref _rss, configuration), configuration))
        {
            RssChanged?.Invoke(configuration);
        }
    }

    internal void SetActivePairs(int pairs)
    {
        if (Interlocked.Exchange(ref _activePairs, pairs) != pairs)
        {
            ActivePairsChanged?.Invoke(pairs);
        }
    }

    /// <summary>The device boundary: a protocol violation marks NEEDS_RESET instead of leaving the device (§2.1.2).</summary>
    internal void Guard(Action work)
    {
        if (!_active)
        {
            return;
        }
        try
        {
            work();
        }
        catch (VirtioDeviceException e)
        {
            Fail(e.Message);
        }
    }

    internal void Fail(string reason)
    {
        _active = false;
        Interrupts.MarkNeedsReset(reason);
    }

    private bool HasAny(int a, int b) => HasFeature(a) || HasFeature(b);

    private static ulong OfferedFeatures(VirtioNetOptions o)
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
