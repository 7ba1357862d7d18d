using System.Diagnostics;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// Our VMM split in two (issue 10): `minivmm run --kernel probe.elf --net vhost-user=SOCKET,queues=N`
/// as the front end, and `minivmm vhost-user-net --socket SOCKET --net tap=NAME,queues=N,steering=S,hash-report=off`
/// as the back end on the benchmark's TAP, which owns the data path. It is compared with the
/// in-process 'minivmm S' configuration (same steering, no hash report) in the same rounds. The
/// front end gives no rss/hash-report/steering keys: those are the back end's (the front end refuses them).
/// </summary>
public sealed class MiniVmmVhostUserLauncher(string binary, string steering) : ProbeVmLauncher
{
    /// <summary>What every label of this launcher starts with; <see cref="PeerTable.PeerOf"/> maps "minivmm vhost-user S" to "minivmm S".</summary>
    public const string LabelPrefix = "minivmm vhost-user ";

    public override string Label => LabelPrefix + steering;

    public override bool HashReport => false;

    public override bool NeedsMultiQueueTap(int queues) => true; // our back end always opens its queues with IFF_MULTI_QUEUE

    public override IProbeBackEnd StartBackEnd(string tap, int queues) => VhostUserBackEnd.Start(binary, VhostUserBackEnd.SocketFor(tap), tap, queues, steering);

    public override ProcessStartInfo StartInfo(string probeElf, string probeArgs, string tap, int queues)
    {
        var info = new ProcessStartInfo(binary);
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

    public override string? Unavailable() => MiniVmmLauncher.RunHelpLacks(binary, "vhost-user=");
}
