using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.VhostUser.Session;

/// <summary>One refused message (or failed ring): the request number and the reason.</summary>
public readonly record struct VhostUserRejection(uint Request, VhostUserRejectReason Reason)
{
    public override string ToString() => $"{VhostUserParser.Name(Request)}: {Reason}";
}
