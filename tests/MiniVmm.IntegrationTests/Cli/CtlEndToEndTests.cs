using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;
using MiniVmm.Control;
using MiniVmm.Control.Protocol;
using MiniVmm.HostNet;
using MiniVmm.IntegrationTests.EndToEnd;
using MiniVmm.IntegrationTests.HostNet;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Native.Unix;

namespace MiniVmm.IntegrationTests.Cli;

/// <summary>
/// `minivmm run --api-socket` with the probe guest on a 4-pair NIC, asked with `minivmm ctl` (both
/// the NativeAOT binary): what info, rss and counters say is checked against what the probe itself
/// printed (features, MAC, the RSS_CONFIG it sent, the frames it got per queue, the frames it sent),
/// link down/up reaches the probe as a configuration change, malformed requests get error objects,
/// and the socket is gone when the VM has exited.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class CtlEndToEndTests
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(60), Step = TimeSpan.FromSeconds(30);

    // A key, table and hash types of our own, so nothing here is the default the device starts with.
    private const string Key = "0123456789abcdeffedcba98765432100011223344556677889900aabbccddeeff01020304050607"; // 40 bytes: rss_max_key_size
    private const string Table = "3,2,1,0,3,3,2,2,1,1,0,0,3,2,1,0";
    private const int Frames = 24;

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void Ctl_reports_what_the_probe_set_and_sent_and_its_link_changes_reach_the_probe()
    {
        string tap = TapTestKit.UniqueName();
        string socket = Path.Combine(Path.GetTempPath(), $"mv-ctl-{Guid.NewGuid():N}.sock");
        CreateQuietTap(tap);
        try
        {
            using var vm = new RunningMinivmm("run", "--kernel", SteerTestFixture.ProbePath, "--memory", "256M",
                "--net", $"tap={tap},queues=4", "--api-socket", socket,
                "--cmdline", $"pairs=4 key={Key} table={Table} types=0x3f unclassified=2 tx=0:3:100,3:5:200 expect={Frames} idle=5000 wait=30000 links=2 exit=0");
            vm.WaitForLine(l => l.StartsWith("probe: ready", StringComparison.Ordinal), Boot, "probe: ready");

            CheckInfo(vm, socket, tap);
            CheckRss(vm, socket);
            CheckCounters(vm, socket, tap);
            CheckMalformedRequests(socket);
            CheckLinkChanges(vm, socket);

            Assert.Equal(1, vm.WaitForExit(Step)); // the probe's exit 0: (0 << 1) | 1
            Assert.Contains("probe: done frames=24", vm.Stdout);
            Assert.Null(FileStatus.OfPath(socket)); // removed at exit
            Assert.Equal(2, vm.Stderr.Count(l => l.StartsWith("minivmm: net0: link ", StringComparison.Ordinal)));
        }
        finally
        {
            File.Delete(socket);
            Run("ip", "link", "del", tap);
        }
    }

    private static void CheckInfo(RunningMinivmm vm, string socket, string tap)
    {
        DeviceInfo info = Json(socket, "info").Info!;
        Match features = FeaturesLine().Match(vm.WaitForLine(l => l.StartsWith("probe: features ", StringComparison.Ordinal), Step, "features line"));
        Assert.Equal(features.Groups["device"].Value, info.Features.Offered.Hex);
        Assert.Equal(features.Groups["driver"].Value, info.Features.Negotiated.Hex);
        // The probe asks for CSUM and HOST_TSO4 unless told tso=off, and EVENT_IDX unless event_idx=off (guest-images/probe/net.c).
        Assert.Equal(["CSUM", "MAC", "HOST_TSO4", "STATUS", "CTRL_VQ", "MQ", "EVENT_IDX", "VERSION_1", "HASH_REPORT", "RSS"], info.Features.Negotiated.Names);
        Match device = DeviceLine().Match(vm.WaitForLine(l => l.StartsWith("probe: device ", StringComparison.Ordinal), Step, "device line"));
        Assert.Equal(device.Groups["mac"].Value, info.Mac);
        Assert.Equal(new QueuePairsInfo(int.Parse(device.Groups["pairs"].Value, CultureInfo.InvariantCulture), 4), info.QueuePairs);
        Assert.Equal(new DeviceStatusInfo { Active = true, NeedsReset = false }, info.Status);
        Assert.True(info.LinkUp);
        // The one line run logged for the NIC ends with the steering choice's log line.
        string logged = vm.Stderr.Single(l => l.StartsWith($"minivmm: net0: tap {tap}, 4 queue pairs; ", StringComparison.Ordinal));
        Assert.Equal(logged[logged.IndexOf("; ", StringComparison.Ordinal)..][2..], info.Steering!.Reason);
        Assert.StartsWith($"steering: {info.Steering.Backend} ", info.Steering.Reason);

        var text = MinivmmProcess.Run("ctl", socket, "info");
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Matches(@"(?m)^queue pairs\s+4 in use of 4$", text.Stdout);
        Assert.Matches(@"(?m)^status\s+active \(DRIVER_OK\)$", text.Stdout);
    }

    private static void CheckRss(RunningMinivmm vm, string socket)
    {
        Match sent = RssLine().Match(vm.WaitForLine(l => l.StartsWith("ctrl rss_config ", StringComparison.Ordinal), Step, "the probe's RSS_CONFIG"));
        Assert.Equal("0", sent.Groups["ack"].Value);
        RssInfo rss = Json(socket, "rss").Rss!;
        Assert.Equal(RssInfo.ModeRss, rss.Mode);
        Assert.Equal(sent.Groups["types"].Value, rss.HashTypesHex);
        Assert.Equal(["IPv4", "TCPv4", "UDPv4", "IPv6", "TCPv6", "UDPv6"], rss.HashTypes); // types=0x3f
        Assert.Equal(Key, sent.Groups["key"].Value);
        Assert.Equal(Key, rss.Key);
        Assert.Equal(Table, sent.Groups["table"].Value);
        Assert.Equal(Table, string.Join(',', rss.IndirectionTable!));
        Assert.Equal((ushort)2, rss.UnclassifiedQueue);
        Assert.Equal(ushort.Parse(sent.Groups["maxtx"].Value, CultureInfo.InvariantCulture), rss.MaxTxVq);
        Assert.Equal(4, rss.PairsInUse);

        var text = MinivmmProcess.Run("ctl", socket, "rss");
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Matches(@"(?m)^spread\s+queue 0: 4, queue 1: 4, queue 2: 4, queue 3: 4$", text.Stdout);
    }

    private static void CheckCounters(RunningMinivmm vm, string socket, string tap)
    {
        using (PacketInjector injector = PacketInjector.Open(tap))
        {
            for (uint id = 1; id <= Frames; id++) injector.Send(TapTestKit.UdpFrame(id, sourcePort: (ushort)(1000 + 7 * id), payloadBytes: (int)id));
        }
        vm.WaitForLine(l => l.StartsWith("probe: rx frames=", StringComparison.Ordinal), Step, "the probe's receive summary");
        vm.WaitForLine(l => l.StartsWith("probe: link watch ", StringComparison.Ordinal), Step, "the probe's link watch");

        // What the guest got, per queue, from its own lines: rx q=Q id=ID len=L ...
        var received = new (ulong Packets, ulong Bytes)[4];
        foreach (Match m in vm.Stdout.Select(l => RxLine().Match(l)).Where(m => m.Success))
        {
            int q = int.Parse(m.Groups["q"].Value, CultureInfo.InvariantCulture);
            received[q] = (received[q].Packets + 1, received[q].Bytes + ulong.Parse(m.Groups["len"].Value, CultureInfo.InvariantCulture));
        }
        Assert.Equal((ulong)Frames, received.Aggregate(0UL, (sum, r) => sum + r.Packets));
        Assert.True(received.Count(r => r.Packets > 0) >= 2, "the frames did not spread over queues");

        // The device counts a packet right after publishing it: wait (bounded) until every count is in.
        CountersInfo counters = Json(socket, "counters").Counters!;
        var deadline = Stopwatch.StartNew();
        while (counters.Pairs.Sum(p => (long)p.Rx.Packets) < Frames && deadline.Elapsed < Step) counters = Json(socket, "counters").Counters!;
        Assert.Equal([0, 1, 2, 3], counters.Pairs.Select(p => p.Pair));
        for (int q = 0; q < 4; q++)
        {
            PairCountersInfo p = counters.Pairs[q];
            Assert.Equal(received[q], (p.Rx.Packets, p.Rx.Bytes));
            // tx=0:3:100,3:5:200: three 100-byte frames on transmitq1, five of 200 bytes on transmitq4.
            Assert.Equal(q switch { 0 => (3UL, 300UL), 3 => (5UL, 1000UL), _ => (0UL, 0UL) }, (p.Tx.Packets, p.Tx.Bytes));
            Assert.Equal((0UL, 0UL), (p.Rx.Dropped, p.Tx.Dropped));
            Assert.Equal((0UL, 0UL), (p.Rx.Notifications, p.Tx.Notifications)); // the probe polls: VIRTQ_AVAIL_F_NO_INTERRUPT
        }

        var text = MinivmmProcess.Run("ctl", socket, "counters");
        Assert.True(text.ExitCode == 0, text.ToString());
        Assert.Matches($@"(?m)^\s+3\s+{received[3].Packets}\s+{received[3].Bytes}\s+0\s+0\s+5\s+1000\s+0\s+0$", text.Stdout);
    }

    private static void CheckMalformedRequests(string socket)
    {
        using ControlClient client = ControlClient.Connect(socket);
        Assert.Equal(ControlError.Malformed, Error(client.AskLine("{\"command\": \"info\"")));
        Assert.Equal(ControlError.Malformed, Error(client.AskLine("[\"info\"]")));
        Assert.Equal(ControlError.UnknownCommand, Error(client.AskLine("{\"command\": \"shutdown\"}")));
        Assert.Equal(ControlError.BadArgument, Error(client.AskLine("{\"command\": \"link\"}")));
        client.Send(new byte[ControlRequestParser.MaxRequestBytes + 1]);
        Assert.Equal(ControlError.TooLong, Error(client.ReadLine(Step)!));
        using (ControlClient half = ControlClient.Connect(socket)) half.Send("{\"command\":"u8); // and gone
        Assert.True(Json(socket, "info").Ok); // the VM answers on
    }

    private static void CheckLinkChanges(RunningMinivmm vm, string socket)
    {
        var down = MinivmmProcess.Run("ctl", socket, "link", "down");
        Assert.True(down.ExitCode == 0, down.ToString());
        Assert.Equal("link down: the driver was sent a configuration change notification\n", down.Stdout);
        vm.WaitForLine(l => LinkChange().Match(l) is { Success: true } m && m.Groups["n"].Value == "1", Step, "the first link change in the probe");
        // ISR bit 1 alone: a configuration change (§4.1.4.5), and the status read after it says down.
        Assert.Matches(@"^link change=1 isr=0x2 up=0 generation=\d+$", vm.Stdout.Single(l => l.StartsWith("link change=1 ", StringComparison.Ordinal)));
        Assert.False(Json(socket, "info").Info!.LinkUp);

        Assert.Equal(new LinkInfo(true, true), Json(socket, "link", "up").Link);
        vm.WaitForLine(l => l.StartsWith("link change=2 ", StringComparison.Ordinal), Step, "the second link change in the probe");
        Assert.Matches(@"^link change=2 isr=0x2 up=1 generation=\d+$", vm.Stdout.Single(l => l.StartsWith("link change=2 ", StringComparison.Ordinal)));
    }

    /// <summary>minivmm ctl SOCKET ARGS --json, which must exit 0 and print one answer line.</summary>
    private static ControlAnswer Json(string socket, params string[] args)
    {
        var r = MinivmmProcess.Run(["ctl", socket, .. args, "--json"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        string line = Assert.Single(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        ControlAnswer answer = ControlClient.ParseAnswer(line, socket);
        Assert.True(answer.Ok, line);
        return answer;
    }

    private static string Error(string line)
    {
        ControlAnswer answer = ControlClient.ParseAnswer(line, "test");
        Assert.False(answer.Ok, line);
        return answer.Error!.Code;
    }

    /// <summary>A persistent multiqueue TAP without IPv6, so the host's own router solicitations never reach the guest and every frame counted is the test's.</summary>
    private static void CreateQuietTap(string name)
    {
        Run("ip", "tuntap", "add", "dev", name, "mode", "tap", "multi_queue");
        File.WriteAllText($"/proc/sys/net/ipv6/conf/{name}/disable_ipv6", "1");
    }

    private static void Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
    }

    [GeneratedRegex(@"^probe: features device=(?<device>0x[0-9a-f]+) driver=(?<driver>0x[0-9a-f]+)$")]
    private static partial Regex FeaturesLine();

    [GeneratedRegex(@"^probe: device .* mac=(?<mac>[0-9a-f:]+) max_pairs=(?<pairs>\d+) ")]
    private static partial Regex DeviceLine();

    [GeneratedRegex(@"^ctrl rss_config types=(?<types>0x[0-9a-f]+) unclassified=(?<uncl>\d+) max_tx_vq=(?<maxtx>\d+) key=(?<key>[0-9a-f]+) table=(?<table>[0-9,]+) ack=(?<ack>\d+)$")]
    private static partial Regex RssLine();

    [GeneratedRegex(@"^rx q=(?<q>\d+) id=(?<id>-?\d+) len=(?<len>\d+) ")]
    private static partial Regex RxLine();

    [GeneratedRegex(@"^link change=(?<n>\d+) ")]
    private static partial Regex LinkChange();
}
