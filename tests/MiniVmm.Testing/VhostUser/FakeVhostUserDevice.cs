using MiniVmm.Memory;
using MiniVmm.VhostUser;

namespace MiniVmm.Testing.VhostUser;

/// <summary>
/// A device for vhost-user session tests: records every call the session makes as one line
/// ("Activate 0x...", "StartRing 3 size=256 desc=0x... avail=0x... used=0x... base=0",
/// "StopRing 3", "Reset"), serves a fixed config space, and can be told to refuse a ring.
/// Thread-safe: tests read <see cref="Calls"/> while the session's control thread runs.
/// </summary>
public sealed class FakeVhostUserDevice : IVhostUserDevice
{
    /// <summary>VERSION_1 | MAC | STATUS | CTRL_VQ | MQ | RSS | HASH_REPORT | MRG_RXBUF: what the captures were recorded against.</summary>
    public const ulong CaptureFeatures = (1UL << 32) | (1UL << 5) | (1UL << 16) | (1UL << 17) | (1UL << 22) | (1UL << 60) | (1UL << 57) | (1UL << 15);

    private readonly List<string> _calls = [];
    private readonly object _lock = new();
    private readonly HashSet<int> _running = [];

    public FakeVhostUserDevice(int queuePairs = 4, ulong features = CaptureFeatures)
    {
        QueuePairs = queuePairs;
        DeviceFeatures = features;
        // virtio_net_config: mac, status LINK_UP, max_virtqueue_pairs, mtu, speed, duplex,
        // rss_max_key_size 40, rss_max_indirection_table_length 128, supported_hash_types 0x1ff.
        Config = [0x52, 0x54, 0, 0x12, 0x34, 0x56, 1, 0, (byte)queuePairs, 0, 0, 0, 0, 0, 0, 0, 0, 40, 128, 0, 0xff, 1, 0, 0];
    }

    public ulong DeviceFeatures { get; }
    public int QueuePairs { get; }
    public int QueueCount => 2 * QueuePairs + 1;
    public int ConfigSizeBytes => Config.Length;
    public byte[] Config { get; }

    /// <summary>Rings whose StartRing throws (a ring the device cannot serve).</summary>
    public HashSet<int> RefusedRings { get; } = [];

    /// <summary>What StopRing returns for ring i: 0x100 + i unless set.</summary>
    public Func<int, ushort> StopBase { get; set; } = i => (ushort)(0x100 + i);

    /// <summary>The setups StartRing received, by ring (the last one).</summary>
    public Dictionary<int, VhostRingSetup> Setups { get; } = [];

    public IGuestMemory? Memory { get; private set; }

    public event Action? ConfigChanged;

    public IReadOnlyList<string> Calls
    {
        get { lock (_lock) return [.. _calls]; }
    }

    /// <summary>Rings started and not stopped or reset.</summary>
    public IReadOnlyCollection<int> RunningRings
    {
        get { lock (_lock) return [.. _running]; }
    }

    public void RaiseConfigChanged() => ConfigChanged?.Invoke();

    public void ReadConfig(int offset, Span<byte> data) => Config.AsSpan(offset, data.Length).CopyTo(data);

    public void WriteConfig(int offset, ReadOnlySpan<byte> data)
    {
        Record($"WriteConfig {offset} {Convert.ToHexString(data)}");
        data.CopyTo(Config.AsSpan(offset));
    }

    public void Activate(ulong features, IGuestMemory memory)
    {
        Memory = memory;
        Record($"Activate 0x{features:x}");
    }

    public void StartRing(int index, VhostRingSetup setup)
    {
        Record($"StartRing {index} size={setup.Size} desc={setup.DescriptorTable} avail={setup.AvailableRing} used={setup.UsedRing} base={setup.LastAvailIndex}");
        if (RefusedRings.Contains(index)) throw new InvalidOperationException($"ring {index} refused by the fake");
        lock (_lock)
        {
            Setups[index] = setup;
            _running.Add(index);
        }
    }

    public ushort StopRing(int index)
    {
        Record($"StopRing {index}");
        lock (_lock) _running.Remove(index);
        return StopBase(index);
    }

    public void Reset()
    {
        Record("Reset");
        lock (_lock) _running.Clear();
    }

    private void Record(string call)
    {
        lock (_lock) _calls.Add(call);
    }
}
