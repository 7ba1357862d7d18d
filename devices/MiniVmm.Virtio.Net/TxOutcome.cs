namespace MiniVmm.Virtio.Net;

/// <summary>What one <see cref="NetQueuePair.ProcessTx"/> call did (see <see cref="RxOutcome"/>).</summary>
public readonly record struct TxOutcome(TxStop Stop, int Completed, bool NeedsNotification, Virtio.VirtioFailure? Failure = null);
