using System.Buffers.Binary;

namespace MiniVmm.VhostUser.Protocol;

/// <summary>
/// One "memory region description" of SET_MEM_TABLE (32 bytes): where the region is in guest-physical
/// space, how big, where the front end has it mapped (the user address ring addresses are given
/// in), and at which offset of its descriptor the region starts.
/// </summary>
public readonly record struct MemoryRegionDescription(ulong GuestAddress, ulong SizeBytes, ulong UserAddress, ulong MmapOffset)
{
    public const int EncodedBytes = 32;

    public static MemoryRegionDescription Read(ReadOnlySpan<byte> b) => new(
        BinaryPrimitives.ReadUInt64LittleEndian(b),
        BinaryPrimitives.ReadUInt64LittleEndian(b[8..]),
        BinaryPrimitives.ReadUInt64LittleEndian(b[16..]),
        BinaryPrimitives.ReadUInt64LittleEndian(b[24..]));

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(b, GuestAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(b[8..], SizeBytes);
        BinaryPrimitives.WriteUInt64LittleEndian(b[16..], UserAddress);
        BinaryPrimitives.WriteUInt64LittleEndian(b[24..], MmapOffset);
    }
}
