using MiniVmm.Benchmarks.Peer;
using MiniVmm.Benchmarks.Tap;

namespace MiniVmm.Benchmarks;

public static class Program
{
    /// <summary>Benchmarks by name; adding one is one line.</summary>
    private static readonly Dictionary<string, Func<string[], int>> Benchmarks = new()
    {
        ["startup"] = StartupBenchmark.Run,
        ["bpf"] = BpfBenchmark.Run,
        ["rss"] = RssBenchmark.Run,
        ["tap"] = TapBenchmark.Run,
        ["qemu"] = QemuBenchmark.Run,
        ["callgrind"] = CallgrindBenchmark.Run,
        ["uml"] = Uml.UmlBenchmark.Run,
        ["tap-loop"] = TapLoop.Run, // one loop of `tap`, run by `callgrind`
    };

    public static int Main(string[] args)
    {
        if (args.Length == 0 || !Benchmarks.TryGetValue(args[0], out var run))
        {
            Console.Error.WriteLine($"usage: MiniVmm.Benchmarks <{string.Join("|", Benchmarks.Keys)}> [ARGS]  (docs/BENCHMARKS.md)");
            return 2;
        }
        return run(args[1..]);
    }
}
