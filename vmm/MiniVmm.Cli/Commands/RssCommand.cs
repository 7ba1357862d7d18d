using System.Text;
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
    public const string Usage = """
        usage: minivmm rss [--frame HEX] [--key HEX] [--types MASK|NAMES] [--table Q,Q,...]
                           [--unclassified Q] [--engine managed|bpf] [--json]
          Frames are Ethernet frames in hex (no vnet header), one per line on stdin unless --frame is given.
          --key HEX        Toeplitz key, at most 40 bytes (default: the Microsoft verification key)
          --types          virtio hash types: a number (e.g. 511, 0x1ff) or names
                           ipv4,tcpv4,udpv4,ipv6,tcpv6,udpv6,ip_ex,tcp_ex,udp_ex,all (default: all)
          --table          indirection table, power-of-two length up to 128; prints the queue
          --unclassified   queue of frames no enabled type applies to (default 0)
          --engine         managed (default) or bpf (the steering program via BPF_PROG_TEST_RUN)
          --json           one JSON object per frame
        """;

    /// <summary>
    /// Creates the BPF engine for a configuration; set by the host layer (MiniVmm.Bpf is wired by the CLI's
    /// Program). Null: `--engine bpf` is not available.
    /// </summary>
    public static Func<RssConfiguration, RssEngine>? BpfEngineFactory { get; set; }

    public static int Run(string[] args, TextReader stdin, TextWriter stdout, TextWriter stderr)
    {
        RssCommandOptions options;
        List<byte[]> frames;
        try
        {
            options = RssCommandOptions.Parse(args);
            if (options.Help)
            {
                stdout.WriteLine(Usage);
                return 0;
            }

            frames = options.Frame is { } single ? [single] : ReadFrames(stdin);
        }
        catch (FormatException error)
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

        using (engine)
        {
            for (int i = 0; i < frames.Count; i++)
            {
                stdout.WriteLine(Describe(i + 1, frames[i], options, config, engine));
            }
        }

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

    private static string Describe(int number, byte[] frame, RssCommandOptions options, RssConfiguration config, RssEngine engine)
    {
        RssResult result = engine.Compute(frame);
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
