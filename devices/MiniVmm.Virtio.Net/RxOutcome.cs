namespace MiniVmm.Virtio.Net;

/// <summary>
/// What one <see cref="NetQueuePair.ProcessRx"/> call did: why it stopped, how many packets it
/// delivered, whether the driver wants a used buffer notification (the caller sends it), and the
/// failure when it stopped on one.
/// </summary>
public readonly record struct RxOutcome(RxStop Stop, int Delivered, bool NeedsNotification, Virtio.VirtioFailure? Failure = null);
