namespace MiniVmm.VhostUser.Protocol;

/// <summary>The header's flags word: bits 0-1 the version (1), bit 2 REPLY, bit 3 NEED_REPLY.</summary>
[Flags]
public enum VhostUserHeaderFlags : uint
{
    None = 0,
    Version1 = 0x1,
    VersionMask = 0x3,
    Reply = 0x4,
    NeedReply = 0x8,
}
