using System.Buffers.Binary;

namespace MiniVmm.VhostUser.Protocol;

/// <summary>
/// "vring address description" (SET_VRING_ADDR, 40 bytes): u32 index, u32 flags (bit 0 LOG),
/// then the descriptor table, used ring and available ring as front-end user addresses (QEMU's
/// virtual addresses; UML's physical ones), and the log's guest address.
/// </summary>
public readonly record struct VringAddress(uint Index, uint Flags, ulong DescriptorTable, ulong UsedRing, ulong AvailableRing, ulong Log)
{
    public const int SizeBytes = 40;

    /// <summary>VHOST_VRING_F_LOG: log used-ring writes at <see cref="Log"/> (never asked of us: no LOG_ALL offered).</summary>
    public const uint FlagLog = 0x1;

    public static VringAddress Read(ReadOnlySpan<byte> b) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(b),
        BinaryPrimitives.ReadUInt32LittleEndian(b[4..]),
        BinaryPrimitives.ReadUInt64LittleEndian(b[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(b[16..]),
        BinaryPrimitives.ReadUInt64LittleEndian(b[24..]),
        BinaryPrimitives.ReadUInt64LittleEndian(b[32..]));

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(b, Index);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], Flags);
        BinaryPrimitives.WriteUInt64LittleEndian(b[8..], DescriptorTable);
        BinaryPrimitives.WriteUInt64LittleEndian(b[16..], UsedRing);
        BinaryPrimitives.WriteUInt64LittleEndian(b[24..], AvailableRing);
        BinaryPrimitives.WriteUInt64LittleEndian(b[32..], Log);
    }
}
