using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MiniVmm.Rss;

/// <summary>
/// A Toeplitz key with its lookup tables precomputed (the hash of virtio 1.2 §5.1.6.4.3, as in the
/// Microsoft RSS specification). Built once per key; <see cref="Hash"/> then costs one table load
/// and one XOR per input byte and never allocates.
/// </summary>
/// <remarks>
/// Toeplitz: for every input bit n (most significant bit of byte 0 first) that is set, XOR into the
/// result the 32-bit window of the key that starts at key bit n. Key bits past the end of the key
/// count as zero, so a key shorter than input + 4 bytes still gives a defined value.
/// Table [i * 256 + b] holds the XOR of the windows of the set bits of byte value b at input position i.
/// </remarks>
public sealed class ToeplitzKey
{
    /// <summary>The longest input any hash type uses: IPv6 source and destination address plus two ports.</summary>
    public const int MaxInputBytes = 36;

    private const int TableEntriesPerByte = 256;

    private readonly uint[] table = new uint[MaxInputBytes * TableEntriesPerByte];
    private readonly byte[] key;
    private readonly byte[]? source;

    /// <summary>Precomputes the tables for <paramref name="key"/> (any length; 40 bytes is the virtio maximum we offer).</summary>
    public ToeplitzKey(ReadOnlySpan<byte> key)
    {
        this.key = key.ToArray();

        // Key padded with zeros so every 32-bit window (up to bit 8 * MaxInputBytes + 31) can be read as a 64-bit load.
        Span<byte> padded = stackalloc byte[MaxInputBytes + 12];
        padded.Clear();
        key[..Math.Min(key.Length, padded.Length)].CopyTo(padded);

        Span<uint> windowForBit = stackalloc uint[8];
        for (int position = 0; position < MaxInputBytes; position++)
        {
            ulong bits = BinaryPrimitives.ReadUInt64BigEndian(padded[position..]);
            for (int bit = 0; bit < 8; bit++)
            {
                // Window starting at key bit (8 * position + bit): bit 0 of a byte is its 0x80 bit.
                windowForBit[bit] = (uint)(bits >> (32 - bit));
            }

            Span<uint> row = table.AsSpan(position * TableEntriesPerByte, TableEntriesPerByte);
            row[0] = 0;
            for (int value = 1; value < TableEntriesPerByte; value++)
            {
                int lowest = value & -value;
                int bitFromTop = 7 - System.Numerics.BitOperations.Log2((uint)lowest);
                row[value] = row[value ^ lowest] ^ windowForBit[bitFromTop];
            }
        }
    }

    /// <summary>Builds the tables for a key array and remembers which array it was (see <see cref="RssConfiguration.Toeplitz"/>).</summary>
    internal ToeplitzKey(byte[] key)
        : this((ReadOnlySpan<byte>)key)
    {
        source = key;
    }

    /// <summary>The array this instance was built from, when built by <see cref="RssConfiguration"/>.</summary>
    internal byte[]? Source => source;

    /// <summary>The key bytes this instance was built from (a copy).</summary>
    public ReadOnlySpan<byte> Key => key;

    /// <summary>
    /// The Toeplitz hash of <paramref name="input"/> (at most <see cref="MaxInputBytes"/> bytes;
    /// longer input is a caller bug and throws).
    /// </summary>
    public uint Hash(ReadOnlySpan<byte> input)
    {
        if (input.Length > MaxInputBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(input), input.Length, $"at most {MaxInputBytes} bytes");
        }

        return HashAt(input, 0);
    }

    /// <summary>
    /// The Toeplitz contribution of <paramref name="bytes"/> placed at input byte <paramref name="position"/>:
    /// the hash of a concatenation is the XOR of its parts' contributions. The caller guarantees
    /// position + length &lt;= <see cref="MaxInputBytes"/>.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal uint HashAt(ReadOnlySpan<byte> bytes, int position)
    {
        if ((uint)position + (uint)bytes.Length > MaxInputBytes)
        {
            throw new ArgumentOutOfRangeException(nameof(position));
        }

        // Every index is (position + i) * 256 + a byte value with position + i < MaxInputBytes (checked
        // above), so every read stays inside the table: that is why the unchecked reads below are safe.
        ref uint entries = ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(table), position * TableEntriesPerByte);
        ref byte input = ref MemoryMarshal.GetReference(bytes);
        uint hash = 0;
        int i = 0;
        for (; i + 4 <= bytes.Length; i += 4)
        {
            int row = i * TableEntriesPerByte;
            hash ^= Unsafe.Add(ref entries, row + Unsafe.Add(ref input, i))
                ^ Unsafe.Add(ref entries, row + TableEntriesPerByte + Unsafe.Add(ref input, i + 1))
                ^ Unsafe.Add(ref entries, row + (2 * TableEntriesPerByte) + Unsafe.Add(ref input, i + 2))
                ^ Unsafe.Add(ref entries, row + (3 * TableEntriesPerByte) + Unsafe.Add(ref input, i + 3));
        }

        for (; i < bytes.Length; i++)
        {
            hash ^= Unsafe.Add(ref entries, (i * TableEntriesPerByte) + Unsafe.Add(ref input, i));
        }

        return hash;
    }
}
