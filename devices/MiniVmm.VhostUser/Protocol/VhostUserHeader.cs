using System.Buffers.Binary;

namespace MiniVmm.VhostUser.Protocol;

/// <summary>
/// The 12-byte message header (native little-endian, packed): u32 request, u32 flags, u32 size
/// of the payload that follows. Descriptors travel as SCM_RIGHTS with the header's bytes.
/// </summary>
public readonly record struct VhostUserHeader(uint Request, VhostUserHeaderFlags Flags, uint Size)
{
    public const int SizeBytes = 12;

    /// <summary>Flags of every reply, exactly: version 1 | REPLY (UML rejects anything else).</summary>
    public const VhostUserHeaderFlags ReplyFlags = VhostUserHeaderFlags.Version1 | VhostUserHeaderFlags.Reply;

    public VhostUserHeader(VhostUserRequest request, VhostUserHeaderFlags flags, uint size) : this((uint)request, flags, size) { }

    public VhostUserRequest KnownRequest => (VhostUserRequest)Request;

    public bool NeedsReply => (Flags & VhostUserHeaderFlags.NeedReply) != 0;

    public static VhostUserHeader Read(ReadOnlySpan<byte> bytes) => new(
        BinaryPrimitives.ReadUInt32LittleEndian(bytes),
        (VhostUserHeaderFlags)BinaryPrimitives.ReadUInt32LittleEndian(bytes[4..]),
        BinaryPrimitives.ReadUInt32LittleEndian(bytes[8..]));

    public void Write(Span<byte> bytes)
    {
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, Request);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[4..], (uint)Flags);
        BinaryPrimitives.WriteUInt32LittleEndian(bytes[8..], Size);
    }

    public override string ToString() => $"{VhostUserParser.Name(Request)} flags=0x{(uint)Flags:x} size={Size}";
}
