using System.Text.Json;
using MiniVmm.Cli.Commands;
using MiniVmm.Rss.Packets;

namespace MiniVmm.UnitTests.Rss;

public sealed class RssCommandTests
{
    [Fact]
    public void StdinFramesPrintTypeInputHashReportAndQueue()
    {
        ToeplitzVector v4 = ToeplitzVectors.Get("msft-ipv4-1");
        ToeplitzVector v6 = ToeplitzVectors.Get("msft-ipv6-3");
        byte[] tcp4 = VectorFrameTests.Frame(v4).Tcp(v4.SourcePort, v4.DestinationPort).Build();
        byte[] udp6 = VectorFrameTests.Frame(v6).Udp(v6.SourcePort, v6.DestinationPort).Build();
        byte[] arp = new FrameBuilder().Arp("10.0.0.1", "10.0.0.2").Build();
        string stdin = $"{Convert.ToHexString(tcp4)}\n\n# comment\n{Convert.ToHexString(udp6).ToLowerInvariant()}\n{Convert.ToHexString(arp)}\n";

        var (code, output, errors) = Run(["--table", "0,1,2,3", "--unclassified", "7"], stdin);

        Assert.Equal(0, code);
        Assert.Equal("", errors);
        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.Equal($"frame 1: len={tcp4.Length} type=TCPv4 input={Hex(v4.InputWithPorts)} hash=0x{v4.HashWithPorts:x8} report=2 queue={v4.HashWithPorts & 3}", lines[0]);
        Assert.Equal($"frame 2: len={udp6.Length} type=UDPv6 input={Hex(v6.InputWithPorts)} hash=0x{v6.HashWithPorts:x8} report=6 queue={v6.HashWithPorts & 3}", lines[1]);
        Assert.Equal($"frame 3: len={arp.Length} type=none input=- hash=0x00000000 report=0 queue=7", lines[2]);
    }

    [Fact]
    public void JsonOutputHasTheAgreedFields()
    {
        ToeplitzVector vector = ToeplitzVectors.Get("msft-ipv4-3");
        byte[] frame = VectorFrameTests.Frame(vector).Tcp(vector.SourcePort, vector.DestinationPort).Build();

        var (code, output, _) = Run(["--frame", Convert.ToHexString(frame), "--types", "ipv4,udpv4", "--table", "5,6", "--json"], "");

        Assert.Equal(0, code);
        using var json = JsonDocument.Parse(output.Trim());
        JsonElement root = json.RootElement;
        Assert.Equal($"0x{vector.HashAddressesOnly:x8}", root.GetProperty("hash_value").GetString());
        Assert.Equal(1, root.GetProperty("hash_report").GetInt32());
        Assert.Equal(5 + (int)(vector.HashAddressesOnly & 1), root.GetProperty("queue").GetInt32());
        Assert.Equal("IPv4", root.GetProperty("hash_type").GetString());
        Assert.Equal(Hex(vector.InputAddressesOnly), root.GetProperty("input").GetString());
    }

    [Fact]
    public void WithoutTableNoQueueIsPrinted()
    {
        byte[] frame = new FrameBuilder().IPv4("10.0.0.1", "10.0.0.2").Udp(1, 2).Build();

        var (_, text, _) = Run(["--frame", Convert.ToHexString(frame)], "");
        var (_, json, _) = Run(["--frame", Convert.ToHexString(frame), "--json"], "");

        Assert.DoesNotContain("queue", text);
        Assert.False(JsonDocument.Parse(json).RootElement.TryGetProperty("queue", out _));
    }

    [Fact]
    public void KeyAndNumericTypesAreUsed()
    {
        ToeplitzVector vector = ToeplitzVectors.Get("msft-ipv6-2");
        byte[] frame = VectorFrameTests.Frame(vector).Tcp(vector.SourcePort, vector.DestinationPort).Build();
        string key = Convert.ToHexString(ToeplitzVectors.Key);

        var (_, published, _) = Run(["--frame", Convert.ToHexString(frame), "--key", key, "--types", "16"], "");
        var (_, zeroKey, _) = Run(["--frame", Convert.ToHexString(frame), "--key", new string('0', 80), "--types", "0x10"], "");

        Assert.Contains($"type=TCPv6 ", published);
        Assert.Contains($"hash=0x{vector.HashWithPorts:x8} report=5", published);
        Assert.Contains("hash=0x00000000 report=5", zeroKey);
    }

    [Theory]
    [InlineData(new[] { "--frame", "abc" }, "not an even number of hex digits")]
    [InlineData(new[] { "--frame", "zz" }, "not an even number of hex digits")]
    [InlineData(new[] { "--table", "0,1,2" }, "power of two")]
    [InlineData(new[] { "--table", "0,x" }, "not a queue number")]
    [InlineData(new[] { "--types", "tcpv5" }, "unknown hash type 'tcpv5'")]
    [InlineData(new[] { "--types", "1024" }, "outside the nine virtio hash types")]
    [InlineData(new[] { "--key", "00" }, null)]
    [InlineData(new[] { "--unclassified", "-1" }, "not a queue number")]
    [InlineData(new[] { "--engine", "kernel" }, "not managed or bpf")]
    [InlineData(new[] { "--bogus" }, "unknown option --bogus")]
    [InlineData(new[] { "--frame" }, "--frame needs a value")]
    public void BadInputIsOneLineAndExitTwo(string[] args, string? message)
    {
        string[] withFrame = args.Contains("--frame") ? args : [.. args, "--frame", "00"];
        if (message is null)
        {
            // A 1-byte key is legal (short keys are zero-extended); this row checks the control case.
            Assert.Equal(0, Run(withFrame, "").Code);
            return;
        }

        var (code, output, errors) = Run(withFrame, "");

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Single(errors.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("minivmm rss: ", errors);
        Assert.Contains(message, errors);
    }

    [Fact]
    public void BadStdinLineNamesTheLine()
    {
        var (code, output, errors) = Run([], "0011\n\nnot-hex\n");

        Assert.Equal(2, code);
        Assert.Equal("", output);
        Assert.Contains("stdin line 3", errors);
    }

    [Fact]
    public void KeyLongerThanFortyBytesIsRejected()
    {
        var (code, _, errors) = Run(["--frame", "00", "--key", new string('1', 82)], "");

        Assert.Equal(2, code);
        Assert.Contains("41 bytes", errors);
    }

    [Fact]
    public void BpfEngineWithoutFactoryIsNotAvailable()
    {
        var (code, output, errors) = Run(["--frame", "00", "--engine", "bpf"], "");

        Assert.Equal(1, code);
        Assert.Equal("", output);
        Assert.Contains("not available", errors);
    }

    private static string Hex(byte[] bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    private static (int Code, string Output, string Errors) Run(string[] args, string stdin)
    {
        var output = new StringWriter();
        var errors = new StringWriter();
        int code = RssCommand.Run(args, new StringReader(stdin), output, errors);
        return (code, output.ToString(), errors.ToString());
    }
}
