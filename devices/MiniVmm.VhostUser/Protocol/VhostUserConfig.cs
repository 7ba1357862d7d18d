using System.Buffers.Binary;

namespace MiniVmm.VhostUser.Protocol;

/// <summary>
/// The GET_CONFIG/SET_CONFIG payload: u32 offset, u32 size, u32 flags, then size bytes of
/// device config space (for GET_CONFIG the request's bytes are ignored; the reply fills them).
/// </summary>
public sealed record VhostUserConfig(uint Offset, uint Size, uint Flags, byte[] Data)
{
    public const int HeaderBytes = 12;

    /// <summary>VHOST_USER_MAX_CONFIG_SIZE: the largest config window a message may carry.</summary>
    public const int MaxSizeBytes = 256;

    public int EncodedBytes => HeaderBytes + Data.Length;

    public void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(b, Offset);
        BinaryPrimitives.WriteUInt32LittleEndian(b[4..], Size);
        BinaryPrimitives.WriteUInt32LittleEndian(b[8..], Flags);
        Data.CopyTo(b[HeaderBytes..]);
    }
}
