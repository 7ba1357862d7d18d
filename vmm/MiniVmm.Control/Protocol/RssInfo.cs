namespace MiniVmm.Control.Protocol;

/// <summary>
/// The answer to rss: the configuration the driver set. <see cref="Mode"/> is "rss" (RSS_CONFIG:
/// the table steers), "hash" (HASH_CONFIG: hash reports only, §5.1.6.5.6.4) or "off" (no
/// configuration since the last reset: no hashing, receiveq1 only); the other members are absent
/// when it is off, and the table and unclassified queue when it is "hash".
/// </summary>
public sealed record RssInfo
{
    public const string ModeRss = "rss", ModeHash = "hash", ModeOff = "off";

    public required string Mode { get; init; }

    /// <summary>Changes with every control command the device accepted (0 after reset).</summary>
    public required int Generation { get; init; }

    /// <summary>Receive queue pairs in use.</summary>
    public required int PairsInUse { get; init; }

    /// <summary>The spec's names of the hash types enabled (VIRTIO_NET_RSS_HASH_TYPE_*: "IPv4", "TCPv4", ..., "UDP_EX").</summary>
    public IReadOnlyList<string>? HashTypes { get; init; }

    /// <summary>The same, as the bitmask ("0x3f").</summary>
    public string? HashTypesHex { get; init; }

    /// <summary>The Toeplitz key, lower-case hex.</summary>
    public string? Key { get; init; }

    /// <summary>The indirection table: receive queue per entry.</summary>
    public IReadOnlyList<ushort>? IndirectionTable { get; init; }

    public ushort? UnclassifiedQueue { get; init; }

    /// <summary>RSS_CONFIG's max_tx_vq: transmit queues the driver says it may use.</summary>
    public ushort? MaxTxVq { get; init; }
}
