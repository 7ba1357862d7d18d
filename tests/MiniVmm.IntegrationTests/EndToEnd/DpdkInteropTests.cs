using System.Text.RegularExpressions;
using MiniVmm.IntegrationTests.Cli;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Testing.Dpdk;

namespace MiniVmm.IntegrationTests.EndToEnd;

/// <summary>
/// Our vhost-user front end (`run --net vhost-user=`) against a back end we did not write: DPDK
/// 22.11's testpmd with its net_vhost port, which offers neither PROTOCOL_F_CONFIG nor MAC, STATUS
/// or CTRL_VQ (the front end then owns the MAC, the link status and the control queue, MQ only)
/// and answers SET_MEM_TABLE only after populating the whole of guest RAM. What each side got is
/// counted by the other: testpmd's per-queue forwarding statistics for what the probe sent, the
/// probe's per-queue frame counts for what testpmd sent.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class DpdkInteropTests
{
    private static readonly TimeSpan Run = TimeSpan.FromSeconds(90);
    private const string Mac = "02:4d:56:00:00:07";

    private static string SocketPath() => Path.Combine(Path.GetTempPath(), $"mvt-dpdk-{Guid.NewGuid():N}.sock");

    [HostFact(HostNeeds.Kvm | HostNeeds.Dpdk)]
    public void What_the_probe_sends_on_each_transmit_queue_testpmd_receives_on_that_queue()
    {
        using Testpmd testpmd = Testpmd.StartVhostBackEnd(SocketPath(), queues: 4, forwardMode: "rxonly");
        int[] sent = [25, 26, 27, 28];
        var vm = MinivmmProcess.Run(null, Run, "run", "--kernel", SteerTestFixture.ProbePath, "--memory", "256M",
            "--net", $"vhost-user={testpmd.SocketPath},queues=4,mac={Mac}",
            "--cmdline", $"pairs=4 expect=0 tx=0:{sent[0]} tx=1:{sent[1]} tx=2:{sent[2]} tx=3:{sent[3]}:200 exit=0");
        Assert.True(vm.ExitCode == 1, vm.ToString()); // the probe's exit 0
        Assert.True(vm.Stderr.Contains("the VMM answers the control queue (MQ only)"), vm.ToString());
        // The MAC is the front end's (DPDK has no config space to give one) and the driver got 4 pairs.
        Assert.True(Regex.IsMatch(vm.Stdout, $@"(?m)^probe: device .* mac={Mac} max_pairs=4 "), vm.ToString());
        Assert.True(vm.Stdout.Contains("ctrl mq_vq_pairs_set pairs=4 ack=0"), vm.ToString());
        for (int q = 0; q < 4; q++) Assert.Matches($@"(?m)^tx q={q} sent={sent[q]} us=\d+ kicks=\d+$", vm.Stdout);

        IReadOnlyList<TestpmdStream> streams = testpmd.StopForwarding();
        Assert.Equal(sent.Select(n => (ulong)n), Enumerable.Range(0, 4).Select(q => streams.Single(s => s.RxQueue == q).RxPackets));
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Dpdk)]
    public void What_testpmd_sends_on_every_queue_reaches_the_probe_on_that_receive_queue()
    {
        const int Frames = 2000;
        using Testpmd testpmd = Testpmd.StartVhostBackEnd(SocketPath(), queues: 4, forwardMode: "txonly");
        var vm = MinivmmProcess.Run(null, Run, "run", "--kernel", SteerTestFixture.ProbePath, "--memory", "256M",
            "--net", $"vhost-user={testpmd.SocketPath},queues=4",
            "--cmdline", $"pairs=4 count=all expect={Frames} idle=5000 wait=30000 exit=0");
        Assert.True(vm.ExitCode == 1, vm.ToString());
        IReadOnlyList<TestpmdStream> streams = testpmd.StopForwarding();

        // testpmd's txonly frames: 64 bytes on the wire, UDP from 198.18.0.1 to 198.18.0.2, no MVID id.
        var perQueue = new ulong[4];
        foreach (Match m in RxLine().Matches(vm.Stdout))
        {
            Assert.Equal("64", m.Groups["len"].Value);
            perQueue[int.Parse(m.Groups["q"].Value)]++;
        }
        Assert.True(perQueue.Sum(c => (long)c) >= Frames, $"{perQueue.Sum(c => (long)c)} frames");
        for (int q = 0; q < 4; q++)
        {
            // Every receive queue got frames, and none the probe saw was not sent on testpmd's queue q.
            Assert.True(perQueue[q] > 0, $"receive queue {q} got nothing: {string.Join(", ", perQueue)}");
            Assert.True(streams.Single(s => s.TxQueue == q).TxPackets >= perQueue[q], $"queue {q}: probe {perQueue[q]}, testpmd sent {streams.Single(s => s.TxQueue == q).TxPackets}");
            Assert.Matches($@"(?m)^rxq q={q} frames={perQueue[q]}$", vm.Stdout);
        }
    }

    [GeneratedRegex(@"(?m)^rx q=(?<q>\d) id=-1 len=(?<len>\d+) ")]
    private static partial Regex RxLine();
}
