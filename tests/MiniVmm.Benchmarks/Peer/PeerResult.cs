namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// One probe run: guest-measured RX and TX frames per second, what the host sender offered, and
/// what went wrong (Error non-null: the numbers are not usable).
/// </summary>
public sealed record PeerResult(string Label, int Queues, double RxRate, double TxRate, double SenderRate,
    long Sent, long Received, string? Error)
{
    /// <summary>The guest received at least 90% of the sender's rate: the sender, not the VMM, may be the limit.</summary>
    public bool SenderBound => Error is null && SenderRate > 0 && RxRate >= 0.9 * SenderRate;

    public static PeerResult Failed(string label, int queues, string error) => new(label, queues, 0, 0, 0, 0, 0, error);
}
