namespace MiniVmm.Fuzzing;

/// <summary>
/// A fuzz input read as a stream of small decisions. Past the end every read returns zeros, so any
/// byte string is a valid input (a short one is a short scenario) and the mutator never wastes an
/// execution on a rejected format.
/// </summary>
public ref struct FuzzReader(ReadOnlySpan<byte> data)
{
    private readonly ReadOnlySpan<byte> _data = data;
    private int _position;

    public readonly bool IsEmpty => _position >= _data.Length;

    public readonly int Remaining => Math.Max(0, _data.Length - _position);

    public byte U8() => _position < _data.Length ? _data[_position++] : (byte)0;

    public ushort U16() => (ushort)(U8() | (U8() << 8));

    public uint U32() => U16() | ((uint)U16() << 16);

    public ulong U64() => U32() | ((ulong)U32() << 32);

    public bool Bool() => (U8() & 1) != 0;

    /// <summary>A number in [0, n): one byte when n fits in one, else two.</summary>
    public int Below(int n) => n <= 1 ? 0 : n <= 256 ? U8() % n : U16() % n;

    /// <summary>Up to <paramref name="count"/> bytes (fewer at the end of the input).</summary>
    public ReadOnlySpan<byte> Bytes(int count)
    {
        int take = Math.Min(count, Remaining);
        ReadOnlySpan<byte> bytes = _data.Slice(_position, take);
        _position += take;
        return bytes;
    }

    /// <summary>Exactly <paramref name="count"/> bytes into <paramref name="destination"/>, zero-filled past the end of the input.</summary>
    public void Fill(Span<byte> destination)
    {
        ReadOnlySpan<byte> bytes = Bytes(destination.Length);
        bytes.CopyTo(destination);
        destination[bytes.Length..].Clear();
    }

    /// <summary>Whatever is left of the input.</summary>
    public ReadOnlySpan<byte> Rest() => Bytes(Remaining);
}
