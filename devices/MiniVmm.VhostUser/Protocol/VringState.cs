using System.Buffers.Binary;

namespace MiniVmm.VhostUser.Protocol;

/// <summary>"vring state description": u32 index, u32 num (SET_VRING_NUM/BASE/ENABLE, GET_VRING_BASE and its reply).</summary>
public readonly record struct VringState(uint Index, uint Num)
{
    public const int SizeBytes = 8;

    public static VringState Read(ReadOnlySpan<byte> b) =>
        new(BinaryPrimitives.ReadUInt32LittleEndian(b), BinaryPrimitives.ReadUInt32LittleEndian(b[4..]));

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(b, Index);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], Num);
    }
}
