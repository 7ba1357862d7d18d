namespace MiniVmm.Virtio.Net;

/// <summary>How to build one virtio-net device.</summary>
public sealed record VirtioNetOptions
{
    /// <summary>The most queue pairs virtio-net offers here (max_virtqueue_pairs).</summary>
    public const int MaxQueuePairsLimit = 16;

    public MacAddress Mac { get; init; } = MacAddress.Default;

    /// <summary>max_virtqueue_pairs: 1..16 (one per vCPU by default, capped by the TAP's queues).</summary>
    public int QueuePairs { get; init; } = 1;

    /// <summary>The maximum size of every virtqueue (a power of two).</summary>
    public ushort QueueSize { get; init; } = 256;

    /// <summary>Offer VIRTIO_NET_F_RSS.</summary>
    public bool Rss { get; init; } = true;

    /// <summary>Offer VIRTIO_NET_F_HASH_REPORT.</summary>
    public bool HashReport { get; init; } = true;

    /// <summary>Offloads the back end supports; only these feature bits are offered.</summary>
    public NetOffloads BackendOffloads { get; init; } = NetOffloads.None;

    /// <summary>When non-zero, offer VIRTIO_NET_F_MTU with this value.</summary>
    public ushort Mtu { get; init; }

    /// <summary>
    /// When set, the device offers exactly these feature bits instead of deriving them from the options
    /// above: a front end whose data path is a vhost back end offers what that back end can do
    /// (masked to what the transport serves).
    /// </summary>
    public ulong? Features { get; init; }

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> with one clear line.</summary>
    public void Validate()
    {
        if (QueuePairs is < 1 or > MaxQueuePairsLimit)
        {
            throw new ArgumentException($"queue pairs {QueuePairs}: must be 1..{MaxQueuePairsLimit}");
        }
        if (QueueSize < 2 || QueueSize > 32768 || (QueueSize & (QueueSize - 1)) != 0)
        {
            throw new ArgumentException($"queue size {QueueSize}: must be a power of two, 2..32768");
        }
        if (Mac.IsMulticast || Mac.Value == 0 || Mac.Value > 0xFFFF_FFFF_FFFF)
        {
            throw new ArgumentException($"MAC {Mac}: must be a unicast, non-zero address");
        }
        if (Mtu != 0 && Mtu < 68)
        {
            throw new ArgumentException($"MTU {Mtu}: must be at least 68");
        }
    }
}
