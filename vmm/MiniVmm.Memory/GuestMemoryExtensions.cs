using System.Buffers.Binary;

namespace MiniVmm.Memory;

/// <summary>Checked helpers over <see cref="IGuestMemory"/>: throw <see cref="GuestMemoryException"/> on a bad range.</summary>
public static class GuestMemoryExtensions
{
    public static Span<byte> GetSpan(this IGuestMemory memory, GuestAddress address, ulong length) =>
        memory.TryGetSpan(address, length, out Span<byte> span) ? span : throw new GuestMemoryException(address, length);

    /// <summary>
    /// True when every byte of [address, address + length) is RAM. Asks the memory itself: RAM need not
    /// be one block from 0 (a guest above 3 GiB has a hole below 4 GiB), so SizeBytes cannot answer it.
    /// Like every span, a valid range is at most int.MaxValue bytes long.
    /// </summary>
    public static bool IsValidRange(this IGuestMemory memory, GuestAddress address, ulong length) =>
        memory.TryGetSpan(address, length, out _);

    public static void Write(this IGuestMemory memory, GuestAddress address, ReadOnlySpan<byte> data) =>
        data.CopyTo(memory.GetSpan(address, (ulong)data.Length));

    public static ushort ReadU16(this IGuestMemory m, GuestAddress a) => BinaryPrimitives.ReadUInt16LittleEndian(m.GetSpan(a, 2));
    public static uint ReadU32(this IGuestMemory m, GuestAddress a) => BinaryPrimitives.ReadUInt32LittleEndian(m.GetSpan(a, 4));
    public static ulong ReadU64(this IGuestMemory m, GuestAddress a) => BinaryPrimitives.ReadUInt64LittleEndian(m.GetSpan(a, 8));
    public static void WriteU16(this IGuestMemory m, GuestAddress a, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(m.GetSpan(a, 2), v);
    public static void WriteU32(this IGuestMemory m, GuestAddress a, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(m.GetSpan(a, 4), v);
    public static void WriteU64(this IGuestMemory m, GuestAddress a, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(m.GetSpan(a, 8), v);
}
