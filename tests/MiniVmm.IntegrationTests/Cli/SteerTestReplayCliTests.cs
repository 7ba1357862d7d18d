using System.Text.Json;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Rss.Packets;
using MiniVmm.Testing.Captures;

namespace MiniVmm.IntegrationTests.Cli;

/// <summary>
/// `minivmm steer-test --replay FILE` end to end (out/bin/minivmm, the probe guest, a real TAP): a
/// capture the test writes of frames made from the published Toeplitz vectors, so the queue each
/// must reach (hash &amp; 3 with --table 0,1,2,3) comes from the vectors file, not from MiniVmm;
/// plus frames the rig must skip and count (ARP, LLDP, one too long for the TAP).
/// </summary>
public sealed class SteerTestReplayCliTests : IDisposable
{
    private readonly string _capture = Path.Combine(Path.GetTempPath(), $"minivmm-replay-{Guid.NewGuid():N}.pcapng");
    private readonly string _tap = $"mvr{Random.Shared.Next(1_000_000, 9_999_999)}";

    public void Dispose() => File.Delete(_capture);

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void Replayed_capture_frames_land_on_the_queues_the_published_hashes_give()
    {
        var frames = new List<byte[]>();
        int[] expected = new int[4];
        foreach (ToeplitzVector v in ToeplitzVectors.All)
        {
            FrameBuilder Ip() => v.IsIPv6 ? new FrameBuilder().IPv6(v.SourceAddress, v.DestinationAddress) : new FrameBuilder().IPv4(v.SourceAddress, v.DestinationAddress);
            frames.Add(Ip().Tcp(v.SourcePort, v.DestinationPort).Build());
            expected[v.HashWithPorts & 3]++;
            frames.Add(Ip().Udp(v.SourcePort, v.DestinationPort).WithPayloadLength(100).Build());
            expected[v.HashWithPorts & 3]++;
            frames.Add(Ip().WithVlan(7).Protocol(v.IsIPv6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp).WithPayloadLength(8).Build());
            expected[v.HashAddressesOnly & 3]++;
        }
        int ip = frames.Count;
        frames.Add(new FrameBuilder().Arp("10.0.0.1", "10.0.0.2").Build());
        frames.Add([.. new byte[] { 0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e, 0x52, 0x54, 0x00, 0, 0, 1, 0x88, 0xcc }, .. new byte[46]]); // LLDP
        frames.Add(new FrameBuilder().IPv4("10.0.0.1", "10.0.0.2").Udp(1, 2).WithPayloadLength(1600).Build());
        File.WriteAllBytes(_capture, CaptureWriter.Pcapng(frames));

        MinivmmProcess.Result r = MinivmmProcess.Run(null, TimeSpan.FromSeconds(180), "steer-test", "--replay", _capture, "--queues", "4",
            "--table", "0,1,2,3", "--key", Convert.ToHexString(ToeplitzVectors.Key), "--json", "--tap", _tap);
        Assert.False(Directory.Exists($"/sys/class/net/{_tap}"), $"TAP {_tap} was left behind");
        using JsonDocument doc = JsonDocument.Parse(r.Stdout);
        JsonElement root = doc.RootElement;
        Assert.True(r.ExitCode == 0 && root.GetProperty("passed").GetBoolean(), r.ToString());
        JsonElement replay = root.GetProperty("replay");
        Assert.Equal(frames.Count, replay.GetProperty("frames").GetInt32());
        Assert.Equal(ip, replay.GetProperty("sent").GetInt32());
        Assert.Equal(2, replay.GetProperty("skipped_not_ip").GetInt32());
        Assert.Equal(1, replay.GetProperty("skipped_too_large").GetInt32());
        Assert.Equal(ip, root.GetProperty("frames").GetInt32());
        Assert.Equal(ip, root.GetProperty("received").GetInt32());
        Assert.Equal(expected, root.GetProperty("per_queue").EnumerateArray().Select(q => q.GetProperty("expected").GetInt32()));
        // received counts every frame on a queue, the host stack's own ("foreign") included.
        int[] received = root.GetProperty("per_queue").EnumerateArray().Select(q => q.GetProperty("received").GetInt32()).ToArray();
        Assert.Equal(ip + root.GetProperty("foreign").GetInt32(), received.Sum());
        Assert.All(Enumerable.Range(0, 4), q => Assert.True(received[q] >= expected[q], $"queue {q}: received {received[q]}, expected {expected[q]}"));
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void Text_report_shows_what_was_replayed_and_the_table()
    {
        File.WriteAllBytes(_capture, CaptureWriter.Pcap([
            new FrameBuilder().IPv4("10.1.0.1", "10.1.0.2").Tcp(4000, 80).Build(),
            new FrameBuilder().IPv6("2001:db8::1", "2001:db8::2").Udp(5000, 53).Build(),
            new FrameBuilder().Arp("10.1.0.1", "10.1.0.2").Build(),
        ]));
        MinivmmProcess.Result r = MinivmmProcess.Run(null, TimeSpan.FromSeconds(180), "steer-test", "--replay", _capture, "-q", "2", "--tap", _tap);
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Contains($"replay {_capture} (pcap): 2 of 3 frames sent; skipped 1 not IPv4/IPv6, 0 longer than", r.Stdout);
        Assert.Matches(@"(?m)^ +queue +expected +received +distribution$", r.Stdout);
        Assert.Contains("frames sent 2, received 2, mismatches 0", r.Stdout);
        Assert.Contains("PASS", r.Stdout);
    }

    [HostTheory(HostNeeds.Kvm | HostNeeds.Tap)]
    [InlineData("truncated", "truncated")]
    [InlineData("raw-ip", "LINKTYPE_RAW")]
    [InlineData("only-arp", "nothing to replay")]
    [InlineData("missing", "no such file")]
    public void A_capture_that_cannot_be_replayed_is_one_line_and_exit_2_with_nothing_left_behind(string kind, string fragment)
    {
        byte[] tcp = new FrameBuilder().IPv4("10.0.0.1", "10.0.0.2").Tcp(1, 2).Build();
        if (kind != "missing")
        {
            File.WriteAllBytes(_capture, kind switch
            {
                "truncated" => CaptureWriter.Pcapng([tcp, tcp])[..^3],
                "raw-ip" => CaptureWriter.Pcap([tcp[14..]], linkType: 101),
                _ => CaptureWriter.Pcap([new FrameBuilder().Arp("10.0.0.1", "10.0.0.2").Build()]),
            });
        }
        MinivmmProcess.Result r = MinivmmProcess.Run(null, TimeSpan.FromSeconds(60), "steer-test", "--replay", _capture, "--tap", _tap);
        Assert.False(Directory.Exists($"/sys/class/net/{_tap}"), $"TAP {_tap} was left behind");
        Assert.True(r.ExitCode == 2 && r.Stdout == "", r.ToString());
        string line = Assert.Single(r.StderrLines);
        Assert.StartsWith("minivmm: ", line);
        Assert.Contains(fragment, line);
    }
}
