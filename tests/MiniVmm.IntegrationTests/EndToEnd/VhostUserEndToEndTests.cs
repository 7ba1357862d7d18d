using System.Diagnostics;
using System.Text;
using MiniVmm.Cli.SteerTest;
using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.HostNet.VhostUser;
using MiniVmm.IntegrationTests.Cli;
using MiniVmm.IntegrationTests.HostNet;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Machine;
using MiniVmm.Machine.Net;

namespace MiniVmm.IntegrationTests.EndToEnd;

/// <summary>
/// The "vhost-style" split end to end under real KVM: the probe's NIC over vhost-user (`run --net
/// vhost-user=`), the TAP and the steering in our vhost-user-net back end. Every flow lands on the
/// queue RSS says with the right hash, for each back end and queue count; a second RSS configuration
/// moves flows; frames sent on transmit queue i leave through TAP queue i; a back end that goes away
/// and comes back is reconnected and the guest keeps receiving.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class VhostUserEndToEndTests
{
    [HostTheory(HostNeeds.Kvm | HostNeeds.Tap | HostNeeds.Bpf)]
    [InlineData(SteeringRequest.EbpfHybrid, 1, true)]
    [InlineData(SteeringRequest.EbpfHybrid, 4, true)]
    [InlineData(SteeringRequest.Software, 4, true)]
    [InlineData(SteeringRequest.EbpfHybrid, 4, false)]
    public void Every_frame_lands_on_its_queue_with_the_right_hash_over_vhost_user(SteeringRequest steering, int queues, bool hashReport)
    {
        (SteerTestResult result, SteerTestRun run) = SteerTestFixture.Execute(new SteerTestOptions
        {
            Queues = queues,
            Steering = steering,
            HashReport = hashReport,
            Frames = 400,
            VhostUser = true,
        });
        SteerTestFixture.AssertAllMatched(result, run);
        Assert.Equal(SteeringSelector.Name(Enum.Parse<SteeringBackendKind>(steering.ToString())), run.BackendName);
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap | HostNeeds.Bpf)]
    public void A_second_rss_config_at_run_time_moves_flows_over_vhost_user()
    {
        (SteerTestResult result, SteerTestRun run) = SteerTestFixture.Execute(new SteerTestOptions
        {
            Queues = 4,
            Frames = 400,
            Table = [0, 1, 2, 3],
            Table2 = [3, 2, 1, 0],
            VhostUser = true,
        });
        SteerTestFixture.AssertAllMatched(result, run);
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void Frames_sent_on_tx_queue_i_leave_through_the_back_ends_tap_queue_i()
    {
        const int PerQueue = 25;
        string tapName = SteerTestFixture.UniqueTap(), socket = Path.Combine(Path.GetTempPath(), $"mvt-{Guid.NewGuid():N}.sock");
        using (VhostUserNetServer server = VhostUserNetServer.Start(new NetworkOptions { TapName = tapName, Queues = 4, Steering = SteeringRequest.Software }, socket, _ => { }))
        {
            var serial = new MemoryStream();
            using var machine = Machine.Machine.Create(new MachineOptions
            {
                KernelPath = SteerTestFixture.ProbePath,
                CommandLine = $"pairs=4 expect=0 tx=0:{PerQueue} tx=1:{PerQueue} tx=2:{PerQueue} tx=3:{PerQueue}:200",
                MemoryBytes = 256UL << 20,
                SerialOutput = serial,
                ForwardStdin = false,
                HandleHostSignals = false,
                SharedMemory = true,
            });
            VhostUserNetAttachment.Create(machine, new NetworkOptions { VhostUserPath = socket }, _ => { });
            using PacketInjector capture = PacketInjector.Open(tapName);

            int status = machine.Run();
            string output = Encoding.ASCII.GetString(serial.ToArray());
            Assert.True(status == 1, $"probe status {status}:\n{output}");
            var perQueue = new int[4];
            var frame = new byte[2048];
            int n;
            while ((n = capture.Capture(frame, TimeSpan.FromMilliseconds(500))) > 0)
            {
                // The probe's TX payload: "MVTX", u16 queue (big-endian), u32 sequence, after Ethernet+IPv4+UDP (42 bytes).
                if (n >= 48 && frame.AsSpan(42, 4).SequenceEqual("MVTX"u8)) perQueue[(frame[46] << 8) | frame[47]]++;
            }
            Assert.Equal(new[] { PerQueue, PerQueue, PerQueue, PerQueue }, perQueue);
            // The back end's pair q carried transmitq q+1: the VMM itself moved none of them.
            for (int q = 0; q < 4; q++) Assert.Equal((ulong)PerQueue, server.Runtime.Device.Pairs[q].Counters.TxPackets);
        }
        TapTestKit.AssertRemoved(tapName);
        Assert.False(File.Exists(socket));
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap | HostNeeds.Bpf)]
    public void A_back_end_that_goes_away_and_comes_back_is_reconnected_and_the_guest_keeps_receiving()
    {
        string tap = SteerTestFixture.UniqueTap(), socket = Path.Combine(Path.GetTempPath(), $"mvt-{Guid.NewGuid():N}.sock");
        using Process first = StartBackEnd(socket, tap);
        using Process vm = MinivmmProcessStart("run", "--kernel", SteerTestFixture.ProbePath, "--memory", "256M",
            "--cmdline", "pairs=2 expect=4 wait=60000 idle=20000 exit=0", "--net", $"vhost-user={socket},reconnect=30");
        var stderr = new List<string>();
        vm.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (stderr) stderr.Add(e.Data); };
        vm.BeginErrorReadLine();
        Assert.True(WaitForLine(vm.StandardOutput, "probe: ready"), "the probe never got ready");

        first.Kill(); // the back end vanishes without a goodbye
        first.WaitForExit();
        Assert.True(RuntimeTestRig.WaitFor(() => { lock (stderr) return stderr.Any(l => l.Contains("went away: link down")); }), "the front end did not notice");
        File.Delete(socket); // what a killed back end leaves behind

        using Process second = StartBackEnd(socket, tap);
        Assert.True(RuntimeTestRig.WaitFor(() => { lock (stderr) return stderr.Any(l => l.Contains("reconnected")); }, 20_000), "no reconnect");
        using (PacketInjector injector = PacketInjector.Open(tap))
        {
            for (uint id = 1; id <= 4; id++) injector.Send(new MiniVmm.Rss.Packets.FrameBuilder().IPv4("10.2.0.1", "10.2.0.2").Udp((ushort)(100 + id), 7).WithId(id).Build());
        }
        Assert.True(vm.WaitForExit(60_000), "the probe did not get its frames after the reconnect");
        Assert.True(vm.ExitCode == 1, $"probe status {vm.ExitCode}: {string.Join("\n", stderr)}");
        Process.Start("kill", ["-TERM", second.Id.ToString()])!.WaitForExit();
        Assert.True(second.WaitForExit(10_000));
        TapTestKit.AssertRemoved(tap);
    }

    private static Process StartBackEnd(string socket, string tap)
    {
        Process p = MinivmmProcessStart("vhost-user-net", "--socket", socket, "--net", $"tap={tap},queues=2");
        Assert.True(WaitForLine(p.StandardError, "listening on"), "the back end never listened");
        return p;
    }

    private static Process MinivmmProcessStart(params string[] args)
    {
        var start = new ProcessStartInfo(RepoPaths.Cli) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        return Process.Start(start)!;
    }

    private static bool WaitForLine(StreamReader reader, string fragment)
    {
        string? line;
        while ((line = reader.ReadLine()) is not null)
        {
            if (line.Contains(fragment)) return true;
        }
        return false;
    }
}
