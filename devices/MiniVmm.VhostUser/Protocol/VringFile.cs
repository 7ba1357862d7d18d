using System.Buffers.Binary;

namespace MiniVmm.VhostUser.Protocol;

/// <summary>
/// The u64 of SET_VRING_KICK/CALL/ERR: bits 0-7 the ring index, bit 8 "no descriptor"
/// (VHOST_USER_VRING_NOFD_MASK); the other bits are reserved.
/// </summary>
public readonly record struct VringFile(uint Index, bool NoFd)
{
    public const int SizeBytes = 8;
    public const ulong IndexMask = 0xFF;
    public const ulong NoFdMask = 0x100;

    public ulong Encode() => Index | (NoFd ? NoFdMask : 0);

    public void Write(Span<byte> b) => BinaryPrimitives.WriteUInt64LittleEndian(b, Encode());
}
