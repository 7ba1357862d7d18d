using System.Globalization;
using System.Text;
using System.Text.Json;
using MiniVmm.IntegrationTests.Bpf;
using MiniVmm.IntegrationTests.Differential;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Rss.Packets;

namespace MiniVmm.IntegrationTests.Cli;

/// <summary>
/// `minivmm rss --engine bpf` (the steering program through BPF_PROG_TEST_RUN) and `--engine managed`
/// print the same hash_value, hash_report and queue for the same frames, and both print the
/// published hash for frames made from tests/vectors/toeplitz_msft.json.
/// </summary>
public sealed class RssEngineCliTests
{
    private sealed record Line(string HashValue, int HashReport, int? Queue);

    public static TheoryData<string, string[]> Settings() => new()
    {
        { "defaults-table-8", ["--table", "3,0,7,1,6,2,5,4", "--unclassified", "5"] },
        { "types-and-key", ["--types", "tcpv4,udpv6,ip_ex", "--key", "0123456789abcdef0123456789abcdef01234567fedcba98", "--table", "3,1", "--unclassified", "2"] },
        { "numeric-types-short-key-no-table", ["--types", "0x1b6", "--key", "a1b2c3d4e5f60718293a"] },
    };

    [HostTheory(HostNeeds.Bpf)]
    [MemberData(nameof(Settings))]
    public void Bpf_and_managed_engines_print_the_same_hash_report_and_queue(string name, string[] settings)
    {
        var frames = new List<(string Kind, byte[] Frame)>();
        var generator = new DifferentialFrames(7_000 + name.Length);
        while (frames.Count < 1500)
        {
            byte[] frame = generator.Next(out string kind);
            if (frame.Length > 0) frames.Add((kind, frame));
        }
        string stdin = string.Join('\n', frames.Select(f => Convert.ToHexString(f.Frame))) + "\n";

        List<Line> managed = Lines(Rss(stdin, ["--engine", "managed", "--json", .. settings]));
        List<Line> bpf = Lines(Rss(stdin, ["--engine", "bpf", "--json", .. settings]));

        Assert.Equal(frames.Count, managed.Count);
        Assert.Equal(frames.Count, bpf.Count);
        var differing = Enumerable.Range(0, frames.Count).Where(i => managed[i] != bpf[i]).ToList();
        Assert.True(differing.Count == 0, $"{name}: {differing.Count} frames differ; first:\n" + string.Join("\n", differing.Take(5)
            .Select(i => $"  {frames[i].Kind}: managed {managed[i]}, bpf {bpf[i]}\n    {Convert.ToHexString(frames[i].Frame)}")));
        Assert.True(managed.Count(l => l.HashReport != 0) > frames.Count / 10, $"{name}: too few frames were hashed to show anything");
        bool hasTable = settings.Contains("--table");
        Assert.All(managed, l => Assert.Equal(hasTable, l.Queue is not null));
    }

    [HostFact(HostNeeds.Bpf)]
    public void Both_engines_print_the_published_hashes()
    {
        var expected = new List<(string What, uint Hash, int Report)>();
        var lines = new StringBuilder();
        foreach (ToeplitzVector v in ToeplitzVectors.All)
        {
            bool v6 = v.Family == "ipv6";
            FrameBuilder Ip() => v6 ? new FrameBuilder().IPv6(v.SourceAddress, v.DestinationAddress) : new FrameBuilder().IPv4(v.SourceAddress, v.DestinationAddress);
            lines.AppendLine(Convert.ToHexString(Ip().Tcp(v.SourcePort, v.DestinationPort).Build()));
            expected.Add(($"{v.Id} tcp", v.HashWithPorts, v6 ? 5 : 2));           // VIRTIO_NET_HASH_REPORT_TCPv6 = 5, TCPv4 = 2
            lines.AppendLine(Convert.ToHexString(Ip().Udp(v.SourcePort, v.DestinationPort).Build()));
            expected.Add(($"{v.Id} udp", v.HashWithPorts, v6 ? 6 : 3));           // UDPv6 = 6, UDPv4 = 3
            lines.AppendLine(Convert.ToHexString(Ip().Protocol(v6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp).WithPayloadLength(8).Build()));
            expected.Add(($"{v.Id} ip", v.HashAddressesOnly, v6 ? 4 : 1));               // IPv6 = 4, IPv4 = 1
        }
        foreach (string engine in new[] { "managed", "bpf" })
        {
            List<Line> got = Lines(Rss(lines.ToString(), ["--engine", engine, "--json", "--key", Convert.ToHexString(ToeplitzVectors.Key)]));
            Assert.Equal(expected.Count, got.Count);
            for (int i = 0; i < expected.Count; i++)
            {
                Assert.True(got[i].HashValue == $"0x{expected[i].Hash:x8}" && got[i].HashReport == expected[i].Report,
                    $"{engine}, {expected[i].What}: printed {got[i]}, published 0x{expected[i].Hash:x8} report {expected[i].Report}");
            }
        }
    }

    private static MinivmmProcess.Result Rss(string stdin, string[] args)
    {
        MinivmmProcess.Result r = MinivmmProcess.Run(stdin, TimeSpan.FromSeconds(60), ["rss", .. args]);
        Assert.True(r.ExitCode == 0 && r.Stderr.Length == 0, $"minivmm rss {string.Join(' ', args)}: {r}");
        return r;
    }

    private static List<Line> Lines(MinivmmProcess.Result r) =>
        r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(text =>
        {
            using JsonDocument doc = JsonDocument.Parse(text);
            JsonElement e = doc.RootElement;
            string hash = e.GetProperty("hash_value").GetString()!;
            Assert.Matches("^0x[0-9a-f]{8}$", hash);
            _ = uint.Parse(hash.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            return new Line(hash, e.GetProperty("hash_report").GetInt32(), e.TryGetProperty("queue", out JsonElement q) ? q.GetInt32() : null);
        }).ToList();
}
