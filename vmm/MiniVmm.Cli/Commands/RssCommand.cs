using System.Text;
using MiniVmm.Cli.Captures;
using MiniVmm.Cli.CommandLine;
using MiniVmm.Rss;

namespace MiniVmm.Cli.Commands;

/// <summary>
/// `minivmm rss`: explains what RSS does with Ethernet frames given as hex (one per line on stdin, or
/// --frame): the chosen virtio hash type, the hashed input bytes, the hash value, the hash report code
/// and, with --table, the receive queue. Exit 0; bad input: one line on stderr and exit 2; the bpf engine
/// missing: exit 1.
/// </summary>
public static class RssCommand
{
    /// <summary>
    /// Creates the BPF engine for a configuration; set by the host layer (MiniVmm.Bpf is wired by the CLI's
    /// Program). Null: `--engine bpf` is not available.
    /// </summary>
    public static Func<RssConfiguration, RssEngine>? BpfEngineFactory { get; set; }

    /// <summary>`minivmm rss ARGS` with the given streams (tests run it in-process).</summary>
    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr) =>
        MinivmmCommandLine.Invoke(["rss", .. args], new CliConsole(stdin, stdout, stderr));

    public static DocumentedCommand Create(CliConsole console)
    {
        var frame = Declare.Value<byte[]?>("--frame", "HEX", "one Ethernet frame in hex (no vnet header); without it, one frame per line on stdin",
            text => RssCommandOptions.ParseHex(text, "--frame"), "-f");
        var key = Declare.Value<byte[]?>("--key", "HEX", "Toeplitz key, at most 40 bytes (default: the Microsoft verification key)", RssCommandOptions.ParseKey, "-k");
        var types = new TextOption<VirtioNetHashTypes>("types", "MASK|NAMES", "virtio hash types: a number (e.g. 511, 0x1ff) or names ipv4,tcpv4,udpv4,ipv6,tcpv6,udpv6,ip_ex,tcp_ex,udp_ex,all",
            RssCommandOptions.ParseTypes, "all");
        var table = Declare.Value<ushort[]?>("--table", "Q,Q,...", "indirection table, power-of-two length up to 128; prints the queue",
            RssCommandOptions.ParseTable, "-t");
        var unclassified = Declare.Value("--unclassified", "Q", "queue of frames no enabled type applies to",
            text => RssCommandOptions.ParseQueue(text, "--unclassified"), (ushort)0);
        var engine = new TextOption<string>("engine", "managed|bpf", "managed, or bpf: the steering program via BPF_PROG_TEST_RUN",
            RssCommandOptions.ParseEngine, "managed", "-e").Completing("managed", "bpf");
        var pcap = Declare.Value<string?>("--pcap", "FILE", "frames from a capture (pcap or pcapng, Ethernet); ends with a per-queue histogram for --table", text => text);
        var json = Declare.Flag("--json", "one JSON object per frame (with --pcap and --table, then one with the histogram)", "-j");
        var command = new DocumentedCommand("rss", "explain the RSS hash and queue of Ethernet frames given as hex or in a capture",
            [
                "minivmm rss --table 0,1,2,3 < frames.hex          # one hex frame per line",
                "minivmm rss --pcap traffic.pcapng --table 0,1,2,3  # where would this traffic go?",
                "minivmm rss -jt 0,1 --frame 525400123456...        # -j -t bundled; JSON out",
                "minivmm rss --engine bpf --types tcpv4,udpv4 < frames.hex",
            ],
            """
            Per frame: the virtio hash type, the hashed input bytes, the Toeplitz hash, the hash report
            and, with --table, the receive queue. Exit 0; bad input: one line and exit 2; the bpf
            engine unavailable: exit 1.
            """) { frame, pcap, key, types.Option, table, unclassified, engine.Option, json };
        command.ErrorPrefix = "minivmm rss";
        command.SetAction(parse => Execute(new RssCommandOptions
        {
            Frame = parse.GivenValue(frame),
            Pcap = parse.GivenValue(pcap),
            Key = parse.GivenValue(key) ?? RssConfiguration.DefaultKey.ToArray(),
            HashTypes = types.Get(parse),
            Table = parse.GivenValue(table),
            UnclassifiedQueue = parse.GetValue(unclassified),
            Engine = engine.Get(parse)!,
            Json = parse.GetValue(json),
        }, console.In, console.Out, console.Error));
        return command;
    }

    private static int Execute(RssCommandOptions options, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        List<byte[]> frames;
        Capture? capture = null;
        try
        {
            if (options.Frame is not null && options.Pcap is not null) throw new FormatException("give --frame or --pcap, not both");
            if (options.Pcap is not null) capture = CaptureFile.Read(options.Pcap);
            frames = capture is not null ? capture.Frames.Select(f => f.Data).ToList() : options.Frame is { } single ? [single] : ReadFrames(stdin);
        }
        catch (Exception error) when (error is FormatException or CaptureFormatException)
        {
            stderr.WriteLine($"minivmm rss: {error.Message}");
            return 2;
        }

        RssConfiguration config = options.ToConfiguration();
        RssEngine engine;
        if (options.Engine == "bpf")
        {
            if (BpfEngineFactory is null)
            {
                stderr.WriteLine("minivmm rss: --engine bpf is not available in this build (use --engine managed)");
                return 1;
            }

            try
            {
                engine = BpfEngineFactory(config);
            }
            catch (Exception error) when (error is not OutOfMemoryException)
            {
                stderr.WriteLine($"minivmm rss: --engine bpf: {error.Message}");
                return 1;
            }
        }
        else
        {
            engine = new ManagedEngine(config);
        }

        int[] perQueue = new int[options.Table is { } t ? Math.Max(t.Max(), options.UnclassifiedQueue) + 1 : 0];
        using (engine)
        {
            for (int i = 0; i < frames.Count; i++)
            {
                RssResult result = engine.Compute(frames[i]);
                if (result.Queue < perQueue.Length) perQueue[result.Queue]++;
                stdout.WriteLine(Describe(i + 1, frames[i], result, options, config, engine));
            }
        }

        if (capture is not null && options.Table is not null) RssHistogram.Write(stdout, options, capture, perQueue);
        return 0;
    }

    /// <summary>The virtio name of a hash report (VIRTIO_NET_HASH_REPORT_*, §5.1.6.4.4).</summary>
    public static string ReportName(VirtioNetHashReport report) => report switch
    {
        VirtioNetHashReport.IPv4 => "IPv4",
        VirtioNetHashReport.TcpV4 => "TCPv4",
        VirtioNetHashReport.UdpV4 => "UDPv4",
        VirtioNetHashReport.IPv6 => "IPv6",
        VirtioNetHashReport.TcpV6 => "TCPv6",
        VirtioNetHashReport.UdpV6 => "UDPv6",
        VirtioNetHashReport.IPv6Ex => "IPv6_EX",
        VirtioNetHashReport.TcpV6Ex => "TCPv6_EX",
        VirtioNetHashReport.UdpV6Ex => "UDPv6_EX",
        _ => "none",
    };

    private static List<byte[]> ReadFrames(TextReader stdin)
    {
        var frames = new List<byte[]>();
        int lineNumber = 0;
        while (stdin.ReadLine() is { } line)
        {
            lineNumber++;
            string trimmed = line.Trim();
            if (trimmed.Length == 0 || trimmed.StartsWith('#'))
            {
                continue;
            }

            frames.Add(RssCommandOptions.ParseHex(trimmed, $"stdin line {lineNumber}"));
        }

        return frames.Count > 0 ? frames : throw new FormatException("no frames on stdin (one hex frame per line, or --frame HEX)");
    }

    private static string Describe(int number, byte[] frame, RssResult result, RssCommandOptions options, RssConfiguration config, RssEngine engine)
    {
        string? input = null;
        if (engine is ManagedEngine)
        {
            // The explanation: which bytes the managed classifier hashed (the BPF program does not say).
            Span<byte> bytes = stackalloc byte[RssHasher.MaxInputBytes];
            RssHasher.Classify(frame, config.HashTypes, bytes, out int length);
            input = Convert.ToHexString(bytes[..length]).ToLowerInvariant();
        }

        string type = ReportName(result.HashReport);
        string hash = $"0x{result.HashValue:x8}";
        var line = new StringBuilder();
        if (options.Json)
        {
            line.Append($"{{\"frame\":{number},\"length\":{frame.Length},\"engine\":\"{engine.Name}\",\"hash_type\":\"{type}\"");
            line.Append(input is null ? string.Empty : $",\"input\":\"{input}\"");
            line.Append($",\"hash_value\":\"{hash}\",\"hash_report\":{(int)result.HashReport}");
            line.Append(options.Table is null ? "}" : $",\"queue\":{result.Queue}}}");
        }
        else
        {
            line.Append($"frame {number}: len={frame.Length} type={type}");
            line.Append(input is null ? string.Empty : $" input={(input.Length == 0 ? "-" : input)}");
            line.Append($" hash={hash} report={(int)result.HashReport}");
            line.Append(options.Table is null ? string.Empty : $" queue={result.Queue}");
        }

        return line.ToString();
    }

    private sealed class ManagedEngine(RssConfiguration config) : RssEngine
    {
        public override string Name => "managed";

        public override RssResult Compute(ReadOnlySpan<byte> frame) => RssHasher.Compute(frame, config);
    }
}
