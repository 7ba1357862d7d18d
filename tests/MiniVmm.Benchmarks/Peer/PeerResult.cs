using MiniVmm.Benchmarks.Cpu;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// One configuration at one queue count in one round: guest-measured RX and TX frames per second,
/// the VMM's CPU time over each measured interval, what the host sender did, and what went wrong
/// (Error non-null: the numbers are not usable).
/// </summary>
/// <param name="FillOverlapped">The host was still filling the TAP when the guest began receiving: the sender was in the measurement.</param>
/// <param name="RxCpu">The VMM's CPU time from the end of the guest's filler TX job to `probe: rx frames=`, over <paramref name="Received"/> frames.</param>
/// <param name="TxCpu">The VMM's CPU time from `probe: ready` to the last `tx q=` line, over <paramref name="TxSent"/> frames.</param>
public sealed record PeerResult(string Label, int Queues, int Round, double RxRate, double TxRate, double SenderRate,
    long Sent, long Received, bool FillOverlapped, string? Error)
{
    public CpuSample? RxCpu { get; init; }

    public CpuSample? TxCpu { get; init; }

    /// <summary>The vhost-user back end process's CPU time over the same interval as <see cref="RxCpu"/> (null: no back end).</summary>
    public CpuSample? BackEndRxCpu { get; init; }

    /// <summary>The vhost-user back end process's CPU time over the same interval as <see cref="TxCpu"/>.</summary>
    public CpuSample? BackEndTxCpu { get; init; }

    public long TxSent { get; init; }

    /// <summary>Kicks the guest's TX jobs made (the probe counts them; -1 when it did not say).</summary>
    public long TxKicks { get; init; } = -1;

    /// <summary>No RX run (the launcher cannot measure RX): RX rate 0 and no frames, without an error.</summary>
    public static PeerResult TxOnly(string label, int queues, int round) => new(label, queues, round, 0, 0, 0, 0, 0, false, null);

    public static PeerResult Failed(string label, int queues, int round, string error) => new(label, queues, round, 0, 0, 0, 0, 0, false, error);

    /// <summary>CPU nanoseconds per frame in one direction, outside the vCPU threads (null: not measured).</summary>
    public double? VmmNsPerPacket(string direction) => PerPacket(direction, c => c.OutsideVcpuNs);

    /// <summary>CPU nanoseconds per frame in one direction, every thread of the VMM process (the vCPU's polling guest included).</summary>
    public double? TotalNsPerPacket(string direction) => PerPacket(direction, c => c.TotalNs);

    /// <summary>CPU nanoseconds per frame in one direction of the back end process, all its threads (null: no back end).</summary>
    public double? BackEndNsPerPacket(string direction) => PerPacket(direction, c => c.TotalNs, backEnd: true);

    private double? PerPacket(string direction, Func<CpuSample, long> part, bool backEnd = false)
    {
        (CpuSample? cpu, long packets) = direction == "RX" ? (backEnd ? BackEndRxCpu : RxCpu, Received) : (backEnd ? BackEndTxCpu : TxCpu, TxSent);
        return cpu is CpuSample c && packets > 0 && c.TotalNs > 0 ? part(c) / (double)packets : null;
    }
}
