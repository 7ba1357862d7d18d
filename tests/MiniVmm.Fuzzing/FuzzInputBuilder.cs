using System.Buffers.Binary;

namespace MiniVmm.Fuzzing;

/// <summary>Writes an input in the order a <see cref="FuzzReader"/> reads it back (seed corpora, tests).</summary>
public sealed class FuzzInputBuilder
{
    private readonly List<byte> _bytes = [];

    public int Length => _bytes.Count;

    public FuzzInputBuilder U8(int value) { _bytes.Add((byte)value); return this; }

    public FuzzInputBuilder U16(int value)
    {
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)value);
        _bytes.AddRange(b);
        return this;
    }

    public FuzzInputBuilder U32(uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _bytes.AddRange(b);
        return this;
    }

    public FuzzInputBuilder U64(ulong value) => U32((uint)value).U32((uint)(value >> 32));

    public FuzzInputBuilder Bytes(ReadOnlySpan<byte> bytes) { _bytes.AddRange(bytes); return this; }

    public byte[] ToArray() => [.. _bytes];
}
