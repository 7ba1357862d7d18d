using System.Text.Json;
using MiniVmm.Cli.Commands;
using MiniVmm.Rss.Packets;
using MiniVmm.Testing.Captures;

namespace MiniVmm.UnitTests.Cli;

/// <summary>
/// `minivmm rss --pcap FILE`: every frame of a capture explained as --frame explains it, then a
/// per-queue histogram; expected queues come from the published Toeplitz vectors (hash &amp; 3 with
/// the table 0,1,2,3), not from the code under test.
/// </summary>
public sealed class RssPcapTests : IDisposable
{
    private readonly string _file = Path.Combine(Path.GetTempPath(), $"minivmm-rss-{Guid.NewGuid():N}.pcap");

    public void Dispose() => File.Delete(_file);

    /// <summary>A TCP frame per published vector (the key is the vectors'), and an ARP frame, which no hash type applies to.</summary>
    private static (List<byte[]> Frames, int[] PerQueue) VectorFrames()
    {
        var frames = new List<byte[]>();
        int[] perQueue = new int[4];
        foreach (ToeplitzVector v in ToeplitzVectors.All)
        {
            FrameBuilder ip = v.Family == "ipv6" ? new FrameBuilder().IPv6(v.SourceAddress, v.DestinationAddress) : new FrameBuilder().IPv4(v.SourceAddress, v.DestinationAddress);
            frames.Add(ip.Tcp(v.SourcePort, v.DestinationPort).Build());
            perQueue[v.HashWithPorts & 3]++;
        }
        frames.Add(new FrameBuilder().Arp("10.0.0.1", "10.0.0.2").Build());
        perQueue[2]++; // --unclassified 2
        return (frames, perQueue);
    }

    private static (int Code, string Out, string Err) Rss(params string[] args)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        int code = RssCommand.Run(args, new StringReader(""), output, errors);
        return (code, output.ToString(), errors.ToString());
    }

    private string[] Settings => ["--key", Convert.ToHexString(ToeplitzVectors.Key), "--table", "0,1,2,3", "--unclassified", "2"];

    [Theory]
    [InlineData("pcap")]
    [InlineData("pcapng")]
    public void Every_frame_is_explained_as_frame_explains_it_then_the_histogram(string format)
    {
        var (frames, perQueue) = VectorFrames();
        File.WriteAllBytes(_file, format == "pcap" ? CaptureWriter.Pcap(frames) : CaptureWriter.Pcapng(frames));

        var r = Rss(["--pcap", _file, .. Settings]);
        Assert.True(r.Code == 0 && r.Err == "", r.Err);
        string[] lines = r.Out.Split('\n');
        for (int i = 0; i < frames.Count; i++)
        {
            var single = Rss(["--frame", Convert.ToHexString(frames[i]), .. Settings]);
            Assert.Equal($"frame {i + 1}: " + single.Out.TrimEnd()["frame 1: ".Length..], lines[i]);
        }
        Assert.Contains($"{_file} ({format}): {frames.Count} frames; per queue with --table 0,1,2,3 (unclassified: queue 2)", r.Out);
        for (int q = 0; q < 4; q++)
            Assert.Matches($"(?m)^ +{q} +{perQueue[q]} +{perQueue[q] * 100.0 / frames.Count:F1}% ", r.Out);
    }

    [Fact]
    public void Json_is_a_line_per_frame_then_the_histogram()
    {
        var (frames, perQueue) = VectorFrames();
        File.WriteAllBytes(_file, CaptureWriter.Pcapng(frames, bigEndian: true));
        var r = Rss(["--pcap", _file, "--json", .. Settings]);
        Assert.Equal(0, r.Code);
        string[] lines = r.Out.TrimEnd().Split('\n');
        Assert.Equal(frames.Count + 1, lines.Length);
        for (int i = 0; i < frames.Count; i++)
            Assert.Equal(i + 1, JsonDocument.Parse(lines[i]).RootElement.GetProperty("frame").GetInt32());
        JsonElement histogram = JsonDocument.Parse(lines[^1]).RootElement.GetProperty("histogram");
        Assert.Equal("pcapng", histogram.GetProperty("format").GetString());
        Assert.Equal(frames.Count, histogram.GetProperty("frames").GetInt32());
        Assert.Equal(perQueue, histogram.GetProperty("per_queue").EnumerateArray().Select(q => q.GetProperty("frames").GetInt32()));
    }

    [Fact]
    public void Without_a_table_there_is_no_histogram()
    {
        File.WriteAllBytes(_file, CaptureWriter.Pcap(VectorFrames().Frames));
        var r = Rss("--pcap", _file);
        Assert.Equal(0, r.Code);
        Assert.DoesNotContain("queue", r.Out);
    }

    [Theory]
    [InlineData("truncated", "truncated")]
    [InlineData("corrupt", "corrupt")]
    [InlineData("sll", "LINKTYPE_LINUX_SLL")]
    [InlineData("text", "not a pcap or pcapng file")]
    public void A_bad_capture_is_one_line_and_exit_2(string kind, string fragment)
    {
        byte[] good = CaptureWriter.Pcap(VectorFrames().Frames);
        byte[] file = kind switch
        {
            "truncated" => good[..^5],
            "corrupt" => [.. good[..(24 + 8)], 0xff, 0xff, 0xff, 0x0f, .. good[(24 + 12)..]],
            "sll" => CaptureWriter.Pcap(VectorFrames().Frames, linkType: 113),
            _ => "not a capture at all"u8.ToArray(),
        };
        File.WriteAllBytes(_file, file);
        var r = Rss("--pcap", _file, "--table", "0,1");
        Assert.Equal(2, r.Code);
        Assert.Equal("", r.Out);
        string line = Assert.Single(r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith($"minivmm rss: capture {_file}: ", line);
        Assert.Contains(fragment, line);
    }

    [Fact]
    public void Frame_and_pcap_together_are_bad_input()
    {
        File.WriteAllBytes(_file, CaptureWriter.Pcap([]));
        var r = Rss("--pcap", _file, "--frame", "00");
        Assert.Equal(2, r.Code);
        Assert.Contains("not both", r.Err);
    }
}
