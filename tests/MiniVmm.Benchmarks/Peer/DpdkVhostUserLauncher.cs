using System.Diagnostics;
using MiniVmm.Testing.Dpdk;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// A reference for the split: our front end (`minivmm run --net vhost-user=SOCKET,queues=N`) on DPDK's
/// testpmd in rxonly mode (it counts and frees what the guest sends), for guest TX only. RX is not
/// measured: the drain keeps the guest busy with a TX job while the host fills the TAP, but testpmd
/// has no TAP, and its txonly mode does not read the guest's TX ring (the filler job would not end).
/// The benchmark's TAP is created and left unused.
/// </summary>
public sealed class DpdkVhostUserLauncher(string minivmm) : ProbeVmLauncher
{
    public override string Label => "dpdk testpmd rxonly (our front end)";

    public override bool HashReport => false;

    public override bool MeasuresRx => false;

    public override bool NeedsMultiQueueTap(int queues) => true;

    public override IProbeBackEnd StartBackEnd(string tap, int queues) =>
        new TestpmdBackEnd(Testpmd.StartVhostBackEnd(VhostUserBackEnd.SocketFor(tap), queues, "rxonly"));

    public override ProcessStartInfo StartInfo(string probeElf, string probeArgs, string tap, int queues)
    {
        var info = new ProcessStartInfo(minivmm);
        foreach (string a in new[]
        {
            "run", "--kernel", probeElf, "--cmdline", probeArgs, "--memory", "256M",
            "--net", $"vhost-user={VhostUserBackEnd.SocketFor(tap)},queues={queues}",
        })
        {
            info.ArgumentList.Add(a);
        }
        return info;
    }

    public override string? Unavailable() =>
        File.Exists(Testpmd.Binary) ? MiniVmmLauncher.RunHelpLacks(minivmm, "vhost-user=") : $"{Testpmd.Binary} is not installed (apt-get install dpdk)";
}
