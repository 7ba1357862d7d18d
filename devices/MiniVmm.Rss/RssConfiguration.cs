namespace MiniVmm.Rss;

/// <summary>
/// One RSS (or hash-only) configuration as the driver sets it with VIRTIO_NET_CTRL_MQ_RSS_CONFIG
/// or VIRTIO_NET_CTRL_MQ_HASH_CONFIG (virtio 1.2 §5.1.6.5.7). Immutable: the device swaps in a new
/// instance, so a worker reading the current one never sees half an update.
/// </summary>
public sealed record RssConfiguration
{
    /// <summary>The largest key the device accepts (device config rss_max_key_size).</summary>
    public const int MaxKeyBytes = 40;

    /// <summary>The largest indirection table (device config rss_max_indirection_table_length).</summary>
    public const int MaxTableLength = 128;

    /// <summary>The default key: the one of the published Microsoft RSS verification vectors.</summary>
    public static ReadOnlySpan<byte> DefaultKey =>
    [
        0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0,
        0xd0, 0xca, 0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c,
        0x6a, 0x42, 0xb7, 0x3b, 0xbe, 0xac, 0x01, 0xfa,
    ];

    /// <summary>Which packet types are hashed (and so steered by hash).</summary>
    public required VirtioNetHashTypes HashTypes { get; init; }

    /// <summary>The Toeplitz key, at most <see cref="MaxKeyBytes"/> bytes.</summary>
    public required byte[] Key { get; init; }

    /// <summary>The indirection table: receive queue index per (hash &amp; (length - 1)). Length is a power of two.</summary>
    public required ushort[] IndirectionTable { get; init; }

    /// <summary>The receive queue for packets no enabled hash type applies to.</summary>
    public required ushort UnclassifiedQueue { get; init; }

    /// <summary>True for RSS_CONFIG (steer by the table); false for HASH_CONFIG (hash report only).</summary>
    public bool SteeringEnabled { get; init; } = true;

    /// <summary>
    /// RSS_CONFIG's max_tx_vq: how many transmit queues the driver says it may use (§5.1.6.5.7.1).
    /// Information only, and not part of equality: it decides nothing about where packets are received.
    /// </summary>
    public ushort MaxTxVq { get; init; }

    private ToeplitzKey? toeplitz;

    /// <summary>
    /// The Toeplitz tables for <see cref="Key"/>, built on first use and cached. A `with` copy that
    /// changes Key gets new tables (the cache remembers which array it was built from); the Key array
    /// must not be modified in place once hashing has started.
    /// </summary>
    public ToeplitzKey Toeplitz
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
        get
        {
            ToeplitzKey? cached = toeplitz;
            return cached is not null && ReferenceEquals(cached.Source, Key) ? cached : BuildToeplitz();
        }
    }

    private ToeplitzKey BuildToeplitz()
    {
        // A race builds the tables twice, both correct: no lock needed on the receive path.
        var built = new ToeplitzKey(Key);
        toeplitz = built;
        return built;
    }

    /// <summary>Equal when every setting is (key and table by content); the cached tables do not count.</summary>
    public bool Equals(RssConfiguration? other) =>
        other is not null
        && HashTypes == other.HashTypes
        && UnclassifiedQueue == other.UnclassifiedQueue
        && SteeringEnabled == other.SteeringEnabled
        && Key.AsSpan().SequenceEqual(other.Key)
        && IndirectionTable.AsSpan().SequenceEqual(other.IndirectionTable);

    public override int GetHashCode() => HashCode.Combine(HashTypes, UnclassifiedQueue, SteeringEnabled, Key.Length, IndirectionTable.Length);

    /// <summary>The queue a hash selects: table[hash &amp; (length - 1)].</summary>
    public ushort QueueForHash(uint hash) => IndirectionTable[(int)(hash & (uint)(IndirectionTable.Length - 1))];

    /// <summary>All hash types, the default key, and a table that spreads over <paramref name="queues"/> queues.</summary>
    public static RssConfiguration Spread(int queues, int tableLength = MaxTableLength) => new()
    {
        HashTypes = VirtioNetHashTypes.All,
        Key = DefaultKey.ToArray(),
        IndirectionTable = Enumerable.Range(0, tableLength).Select(i => (ushort)(i % queues)).ToArray(),
        UnclassifiedQueue = 0,
    };
}
