namespace MiniVmm.Virtio.Net;

/// <summary>
/// What one pass over the control queue did: commands answered (and how many with VIRTIO_NET_ERR),
/// whether the driver wants a used buffer notification, the host error of the last command the host
/// could not carry out (for the log), and the failure when the driver broke the protocol.
/// </summary>
public readonly record struct ControlOutcome(int Answered, int Rejected, bool NeedsNotification, string? HostError = null, Virtio.VirtioFailure? Failure = null);
