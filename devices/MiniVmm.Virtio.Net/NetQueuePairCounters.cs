namespace MiniVmm.Virtio.Net;

/// <summary>Per-pair packet counts, written only by the pair's worker (read them for reports, not for decisions).</summary>
public sealed class NetQueuePairCounters
{
    public ulong RxPackets { get; internal set; }
    public ulong RxBytes { get; internal set; }
    public ulong RxDropped { get; internal set; }
    public ulong TxPackets { get; internal set; }
    public ulong TxBytes { get; internal set; }
    public ulong TxDropped { get; internal set; }

    /// <summary>Packets delivered with report NONE because the back end's hash_report was not one the guest enabled.</summary>
    public ulong RxHashReportsRejected { get; internal set; }
}
