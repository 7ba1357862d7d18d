using System.Buffers.Binary;
using MiniVmm.Native;
using MiniVmm.Native.Net;
using MiniVmm.Rss;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// The kernel back end's configuration calls: hands the guest's RSS / hash configuration to the
/// tun driver through the v12 ioctls of the unmerged virtio-net hashing series (docs/STEERING.md).
/// One call on any queue fd configures the whole device.
/// </summary>
public static class TunVnetHashing
{
    /// <summary>The key bytes always passed: the kernel reads as many as the enabled hash types need (at most 40).</summary>
    public const int KeyBytes = RssConfiguration.MaxKeyBytes;

    /// <summary>
    /// The TUNSETVNETRSS / TUNSETVNETREPORTINGRSS argument: struct tun_vnet_rss, then the
    /// indirection table (length = mask + 1, native-endian u16), then the key padded to 40 bytes.
    /// </summary>
    public static byte[] RssArgument(RssConfiguration config)
    {
        int tableLength = config.IndirectionTable.Length;
        if (tableLength == 0 || (tableLength & (tableLength - 1)) != 0) throw new ArgumentException($"indirection table length {tableLength} is not a power of two");
        if (config.Key.Length > KeyBytes) throw new ArgumentException($"RSS key of {config.Key.Length} bytes; at most {KeyBytes}");
        var argument = new byte[TunVnetRss.SizeBytes + 2 * tableLength + KeyBytes];
        Span<byte> a = argument;
        BinaryPrimitives.WriteUInt32LittleEndian(a, (uint)config.HashTypes);
        BinaryPrimitives.WriteUInt16LittleEndian(a[4..], (ushort)(tableLength - 1));
        BinaryPrimitives.WriteUInt16LittleEndian(a[6..], config.UnclassifiedQueue);
        for (int i = 0; i < tableLength; i++) BinaryPrimitives.WriteUInt16LittleEndian(a[(TunVnetRss.SizeBytes + 2 * i)..], config.IndirectionTable[i]);
        config.Key.CopyTo(a[(TunVnetRss.SizeBytes + 2 * tableLength)..]);
        return argument;
    }

    /// <summary>
    /// Applies a configuration: RSS_CONFIG (SteeringEnabled) with or without hash report, or
    /// HASH_CONFIG (report only, the kernel keeps its own queue choice).
    /// </summary>
    public static void Configure(Tap tap, RssConfiguration config, bool reportHash)
    {
        FileDescriptor fd = tap.Queues[0].Handle;
        if (!config.SteeringEnabled)
        {
            SetReportingAutomq(fd, reportHash ? (uint)config.HashTypes : 0);
            return;
        }
        TunDevice.SetVnetRss(fd, RssArgument(config), reportHash);
    }

    /// <summary>Back to the kernel's own steering without hash report (a zero type mask clears the configuration).</summary>
    public static void Disable(Tap tap) => TunDevice.SetVnetReportingAutomq(tap.Queues[0].Handle, 0);

    private static void SetReportingAutomq(FileDescriptor fd, uint types) => TunDevice.SetVnetReportingAutomq(fd, types);
}
