using System.Buffers.Binary;
using MiniVmm.Rss;

namespace MiniVmm.Virtio.Net;

/// <summary>
/// struct virtio_net_hdr_v1 (12 bytes) and virtio_net_hdr_v1_hash (20 bytes), virtio 1.2 §5.1.6:
/// flags u8, gso_type u8, hdr_len, gso_size, csum_start, csum_offset, num_buffers (le16);
/// then hash_value le32, hash_report le16, padding le16.
/// </summary>
public static class VirtioNetHeader
{
    /// <summary>virtio_net_hdr_v1: the guest's header without HASH_REPORT, and a back end's by default (TUNSETVNETHDRSZ 12).</summary>
    public const int Bytes = 12;

    /// <summary>virtio_net_hdr_v1_hash, used when VIRTIO_NET_F_HASH_REPORT is negotiated.</summary>
    public const int HashBytes = 20;

    public const int FlagsOffset = 0;
    public const int GsoTypeOffset = 1;
    public const int HdrLenOffset = 2;
    public const int GsoSizeOffset = 4;
    public const int CsumStartOffset = 6;
    public const int CsumOffsetOffset = 8;
    public const int NumBuffersOffset = 10;
    public const int HashValueOffset = 12;
    public const int HashReportOffset = 16;

    /// <summary>Bytes of the header before num_buffers: what the offload fields span.</summary>
    public const int OffloadBytes = 10;

    public const byte FlagNeedsCsum = 1;
    public const byte FlagDataValid = 2;

    public const byte GsoNone = 0;
    public const byte GsoTcpV4 = 1;
    public const byte GsoUdp = 3;
    public const byte GsoTcpV6 = 4;
    public const byte GsoEcn = 0x80;

    /// <summary>hash_value and hash_report of a 20-byte header (what a kernel that hashes wrote there).</summary>
    public static RxHash ReadHash(ReadOnlySpan<byte> header) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(header[HashValueOffset..]),
        (VirtioNetHashReport)BinaryPrimitives.ReadUInt16LittleEndian(header[HashReportOffset..]));
}
