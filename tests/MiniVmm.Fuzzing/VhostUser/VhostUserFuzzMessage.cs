namespace MiniVmm.Fuzzing.VhostUser;

/// <summary>
/// One message of a vhost-user input: the header's request and flags, the size the header claims
/// (null: the payload's own), the payload, and how many descriptors come with it (more than 8: the
/// kernel truncated the control data, as MSG_CTRUNC reports).
/// </summary>
public sealed record VhostUserFuzzMessage(uint Request, uint Flags, uint? ClaimedSize, byte[] Payload, int FdCount);
