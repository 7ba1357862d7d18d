using System.Net;
using MiniVmm.Bpf;
using MiniVmm.Rss;

namespace MiniVmm.Benchmarks;

/// <summary>
/// The steering program's run time per frame, as the kernel measures it with BPF_PROG_TEST_RUN
/// (repeat = N; the kernel reports the average ns per run, program only, no syscall cost).
/// Usage: <c>MiniVmm.Benchmarks bpf [--repeat N] [--rounds R] [--object PATH]</c>; prints the
/// median of R rounds per frame kind. Needs root (or CAP_BPF) and out/bpf from <c>make -C bpf</c>.
/// </summary>
public static class BpfBenchmark
{
    public static int Run(string[] args)
    {
        int repeat = 1_000_000, rounds = 5;
        string? objectPath = null;
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "bpf": break;
                case "--repeat" when i + 1 < args.Length && int.TryParse(args[i + 1], out repeat) && repeat > 0: i++; break;
                case "--rounds" when i + 1 < args.Length && int.TryParse(args[i + 1], out rounds) && rounds > 0: i++; break;
                case "--object" when i + 1 < args.Length: objectPath = args[++i]; break;
                default:
                    Console.Error.WriteLine($"bpf benchmark: bad argument '{args[i]}' (use --repeat N, --rounds R, --object PATH)");
                    return 2;
            }
        }
        objectPath ??= DefaultObject();
        if (objectPath is null || !File.Exists(objectPath))
        {
            Console.Error.WriteLine($"bpf benchmark: BPF object {objectPath ?? "out/bpf/rss_steering.bpf.o"} not found (run make -C bpf OUT=out/bpf)");
            return 2;
        }

        using var program = RssSteeringProgram.Load(objectPath);
        program.Configure(RssConfiguration.Spread(4));
        (string Name, byte[] Frame)[] cases =
        [
            ("IPv4/TCP", Ipv4Tcp()),
            ("IPv6/TCP", Ipv6Tcp(withExtensionHeaders: false)),
            ("IPv6/TCP+HAO+RH2 (_EX)", Ipv6Tcp(withExtensionHeaders: true)),
        ];
        Console.WriteLine($"BPF steering program, BPF_PROG_TEST_RUN repeat={repeat}, median of {rounds} rounds ({objectPath})");
        foreach (var (name, frame) in cases)
        {
            var result = program.TestRun(frame);
            var samples = Enumerable.Range(0, rounds).Select(_ => program.MeasureNanosecondsPerRun(frame, repeat)).Order().ToArray();
            Console.WriteLine($"  {name,-24} {samples[rounds / 2],5} ns/frame  (min {samples[0]}, max {samples[^1]}; hash 0x{result.HashValue:x8}, report {(int)result.HashReport})");
        }
        return 0;
    }

    private static string? DefaultObject()
    {
        for (string? dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            if (File.Exists(Path.Combine(dir, "MiniVmm.sln"))) return Path.Combine(dir, "out", "bpf", "rss_steering.bpf.o");
        }
        return null;
    }

    // Microsoft RSS vector 1 (66.9.149.187:2794 -> 161.142.100.80:1766 and the IPv6 one).
    private static byte[] Ipv4Tcp() =>
    [
        .. Ethernet(0x0800),
        0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0,
        .. IPAddress.Parse("66.9.149.187").GetAddressBytes(), .. IPAddress.Parse("161.142.100.80").GetAddressBytes(),
        .. Tcp(2794, 1766),
    ];

    private static byte[] Ipv6Tcp(bool withExtensionHeaders)
    {
        byte[] src = IPAddress.Parse("3ffe:2501:200:1fff::7").GetAddressBytes();
        byte[] dst = IPAddress.Parse("3ffe:2501:200:3::1").GetAddressBytes();
        byte[] header = [0x60, 0, 0, 0, 0, 0, (byte)(withExtensionHeaders ? 43 : 6), 64, .. src, .. dst];
        if (!withExtensionHeaders) return [.. Ethernet(0x86DD), .. header, .. Tcp(2794, 1766)];
        byte[] rh2 = [60, 2, 2, 1, 0, 0, 0, 0, .. dst];
        byte[] dstOpts = [6, 2, 201, 16, .. src, 1, 2, 0, 0];
        return [.. Ethernet(0x86DD), .. header, .. rh2, .. dstOpts, .. Tcp(2794, 1766)];
    }

    private static byte[] Ethernet(ushort etherType) => [2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, (byte)(etherType >> 8), (byte)etherType];

    private static byte[] Tcp(ushort sport, ushort dport) =>
        [(byte)(sport >> 8), (byte)sport, (byte)(dport >> 8), (byte)dport, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0];
}
