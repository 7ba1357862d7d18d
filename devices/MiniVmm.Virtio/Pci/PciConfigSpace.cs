using System.Buffers.Binary;

namespace MiniVmm.Virtio.Pci;

/// <summary>
/// A type-0 configuration header plus capabilities as bytes, with a per-byte mask of the bits
/// the guest may change; everything else is read-only (PCI Local Bus 3.0 §6.1). 4 KiB: the
/// extended space reads as zero.
/// </summary>
internal sealed class PciConfigSpace
{
    public const int SizeBytes = 4096;
    public const int CommandOffset = 0x04;
    public const int Bar0Offset = 0x10;

    private readonly byte[] _bytes = new byte[256];
    private readonly byte[] _writable = new byte[256];

    public Span<byte> Bytes => _bytes;

    public ushort Read16(int offset) => BinaryPrimitives.ReadUInt16LittleEndian(_bytes.AsSpan(offset));
    public uint Read32(int offset) => BinaryPrimitives.ReadUInt32LittleEndian(_bytes.AsSpan(offset));
    public void Set8(int offset, byte value) => _bytes[offset] = value;
    public void Set16(int offset, ushort value) => BinaryPrimitives.WriteUInt16LittleEndian(_bytes.AsSpan(offset), value);
    public void Set32(int offset, uint value) => BinaryPrimitives.WriteUInt32LittleEndian(_bytes.AsSpan(offset), value);

    /// <summary>Lets the guest change the bits of <paramref name="mask"/> in <paramref name="length"/> bytes.</summary>
    public void AllowWrites(int offset, int length, uint mask = 0xFFFF_FFFF)
    {
        for (int i = 0; i < length; i++)
        {
            _writable[offset + i] = (byte)(mask >> (8 * (i % 4)));
        }
    }

    public uint Read(int offset, int size)
    {
        if (!IsValidAccess(offset, size))
        {
            return 0xFFFF_FFFF; // what a bus returns for a malformed access
        }
        if (offset >= _bytes.Length)
        {
            return 0; // the extended space holds no capabilities
        }
        uint value = 0;
        for (int i = 0; i < size; i++)
        {
            value |= (uint)_bytes[offset + i] << (8 * i);
        }
        return value;
    }

    /// <summary>Applies a write through the mask; returns false when nothing could change.</summary>
    public bool Write(int offset, int size, uint value)
    {
        if (!IsValidAccess(offset, size) || offset >= _bytes.Length)
        {
            return false;
        }
        for (int i = 0; i < size; i++)
        {
            byte mask = _writable[offset + i];
            byte incoming = (byte)(value >> (8 * i));
            _bytes[offset + i] = (byte)((_bytes[offset + i] & ~mask) | (incoming & mask));
        }
        return true;
    }

    /// <summary>Sizes 1, 2, 4, naturally aligned, inside the 4 KiB space.</summary>
    public static bool IsValidAccess(int offset, int size) =>
        size is 1 or 2 or 4 && offset >= 0 && offset % size == 0 && offset + size <= SizeBytes;
}
