namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// One configuration at one queue count in one round: guest-measured RX and TX frames per second,
/// what the host sender did, and what went wrong (Error non-null: the numbers are not usable).
/// </summary>
/// <param name="FillOverlapped">The host was still filling the TAP when the guest began receiving: the sender was in the measurement.</param>
public sealed record PeerResult(string Label, int Queues, int Round, double RxRate, double TxRate, double SenderRate,
    long Sent, long Received, bool FillOverlapped, string? Error)
{
    public static PeerResult Failed(string label, int queues, int round, string error) => new(label, queues, round, 0, 0, 0, 0, 0, false, error);
}
