using System.Buffers.Binary;

namespace MiniVmm.UnitTests.VhostUser;

/// <summary>Small edits of encoded messages, for writing malformed ones.</summary>
internal static class MessageBytes
{
    /// <summary>A copy with the little-endian u32 at <paramref name="offset"/> replaced.</summary>
    public static byte[] With(this byte[] message, int offset, uint value)
    {
        byte[] copy = [.. message];
        BinaryPrimitives.WriteUInt32LittleEndian(copy.AsSpan(offset), value);
        return copy;
    }
}
