namespace MiniVmm.Benchmarks.Uml;

/// <summary>
/// One UML boot of the `uml` benchmark: iperf3's receiver-side rate guest->host (the host's server
/// received) and host->guest (-R, the guest received), in bit/s, and the sender's TCP retransmits;
/// <see cref="Error"/> when the run failed.
/// </summary>
public sealed record UmlIperfResult(UmlTransport Transport, double UpBitsPerSecond, long UpRetransmits, double DownBitsPerSecond, long DownRetransmits, string? Error)
{
    public static UmlIperfResult Failed(UmlTransport transport, string error) => new(transport, 0, 0, 0, 0, error);
}
