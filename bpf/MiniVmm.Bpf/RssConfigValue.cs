using System.Runtime.InteropServices;
using MiniVmm.Rss;

namespace MiniVmm.Bpf;

/// <summary>
/// The value of the <c>rss_config</c> map: struct rss_config of bpf/rss_steering.bpf.c, byte for
/// byte (packed, 312 bytes; a test pins the size and the offsets).
/// </summary>
[StructLayout(LayoutKind.Sequential, Pack = 1)]
public unsafe struct RssConfigValue
{
    public const int KeyBytes = 40;
    public const int TableEntries = 128;

    /// <summary>0 until configured: the program then sends everything to queue 0 without hashing.</summary>
    public uint Enabled;
    public uint HashTypes;
    public ushort TableMask;
    public ushort UnclassifiedQueue;
    public ushort TableLength;
    public ushort Reserved;
    public fixed ushort Table[TableEntries];
    public fixed byte Key[KeyBytes];

    /// <summary>
    /// The map value for <paramref name="config"/>: the key zero-padded to 40 bytes, the table
    /// copied (its length must be a power of two, at most 128, as virtio 1.2 §5.1.6.5.7.1 requires).
    /// </summary>
    public static RssConfigValue From(RssConfiguration config)
    {
        ArgumentNullException.ThrowIfNull(config);
        int length = config.IndirectionTable.Length;
        if (length == 0 || length > TableEntries || (length & (length - 1)) != 0)
            throw new ArgumentException($"indirection table length {length} is not a power of two between 1 and {TableEntries}", nameof(config));
        if (config.Key.Length > KeyBytes)
            throw new ArgumentException($"RSS key of {config.Key.Length} bytes is longer than {KeyBytes}", nameof(config));

        var value = new RssConfigValue
        {
            Enabled = 1,
            HashTypes = (uint)config.HashTypes,
            TableMask = (ushort)(length - 1),
            UnclassifiedQueue = config.UnclassifiedQueue,
            TableLength = (ushort)length,
        };
        for (int i = 0; i < length; i++) value.Table[i] = config.IndirectionTable[i];
        for (int i = 0; i < config.Key.Length; i++) value.Key[i] = config.Key[i];
        return value;
    }
}
