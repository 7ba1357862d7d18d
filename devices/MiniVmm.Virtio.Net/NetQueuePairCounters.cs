namespace MiniVmm.Virtio.Net;

/// <summary>
/// Per-pair packet counts, written only by the pair's worker (read them for reports, not for
/// decisions: a reader may see a value one batch old). Every dropped packet is counted once in
/// the total and once under its reason.
/// </summary>
public sealed class NetQueuePairCounters
{
    public ulong RxPackets { get; internal set; }
    public ulong RxBytes { get; internal set; }

    /// <summary>Used buffer notifications the receive queue asked for.</summary>
    public ulong RxNotifications { get; internal set; }

    public ulong RxDropped => RxDroppedNeverFits + RxDroppedOffloads + RxDroppedBackend;

    /// <summary>Packets larger than anything the guest's receive ring can hold (§5.1.6.3.1).</summary>
    public ulong RxDroppedNeverFits { get; internal set; }

    /// <summary>Packets with a partial checksum or GSO type the guest did not negotiate (§5.1.6.4.1).</summary>
    public ulong RxDroppedOffloads { get; internal set; }

    /// <summary>Packets the back end could not give whole (truncated, shorter than the vnet header, read errors).</summary>
    public ulong RxDroppedBackend { get; internal set; }

    /// <summary>Reads that failed with an errno (each also dropped nothing or counted above).</summary>
    public ulong RxBackendErrors { get; internal set; }

    /// <summary>Packets delivered with report NONE because the back end's hash_report was not one the guest enabled.</summary>
    public ulong RxHashReportsRejected { get; internal set; }

    public ulong TxPackets { get; internal set; }
    public ulong TxBytes { get; internal set; }

    /// <summary>Used buffer notifications the transmit queue asked for.</summary>
    public ulong TxNotifications { get; internal set; }

    public ulong TxDropped => TxDroppedOversized + TxDroppedOffloads + TxDroppedBackend;

    /// <summary>Chains longer than the largest frame (64 KiB of TSO payload plus headers).</summary>
    public ulong TxDroppedOversized { get; internal set; }

    /// <summary>Packets whose header asks for a checksum or segmentation offload the driver did not negotiate (§5.1.6.2.1).</summary>
    public ulong TxDroppedOffloads { get; internal set; }

    /// <summary>Packets the back end refused (EINVAL for a malformed vnet header, ENOMEM, EIO while the interface goes away).</summary>
    public ulong TxDroppedBackend { get; internal set; }

    /// <summary>
    /// A copy no worker writes, for readers on other threads (the control socket): each counter is
    /// read once, and a 64-bit read is atomic on the 64-bit runtimes MiniVmm runs on, so no value is
    /// torn; counters may be up to one batch apart from each other.
    /// </summary>
    public NetQueuePairCounters Snapshot() => (NetQueuePairCounters)MemberwiseClone();
}
