using System.Globalization;

namespace MiniVmm.Benchmarks;

/// <summary>
/// Issue 2's start-up target: process start to the probe's first serial byte, and the VMM's peak
/// RSS without guest RAM (see StartupMemory), for the product binary (out/bin/minivmm, NativeAOT),
/// and with --jit also a JIT build (out/jit/minivmm, published here when missing), without and with
/// a 4-queue NIC.
/// usage: MiniVmm.Benchmarks startup [--runs N] [--cli PATH]... [--jit] [--steering MODE]
/// (--steering: the NIC run's steering=, default auto)
/// </summary>
public static class StartupBenchmark
{
    public static int Run(string[] args)
    {
        int runs = 10;
        var clis = new List<string>();
        bool jit = false;
        string steering = "auto";
        for (int i = 0; i < args.Length; i++)
        {
            switch (args[i])
            {
                case "--runs" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out runs) && runs > 0: i++; break;
                case "--cli" when i + 1 < args.Length: clis.Add(Path.GetFullPath(args[++i])); break;
                case "--jit": jit = true; break;
                case "--steering" when i + 1 < args.Length: steering = args[++i]; break;
                default:
                    Console.Error.WriteLine($"startup: bad argument '{args[i]}' (usage: startup [--runs N] [--cli PATH]... [--jit] [--steering MODE])");
                    return 2;
            }
        }
        string root = FindRoot();
        string probe = Path.Combine(root, "out", "guest-images", "probe.elf");
        if (!File.Exists(probe)) { Console.Error.WriteLine($"startup: {probe} is missing; run ./build.sh first"); return 2; }
        if (clis.Count == 0)
        {
            clis.Add(Path.Combine(root, "out", "bin", "minivmm"));
            if (jit) clis.Add(StartupJitPublish.Ensure(root));
        }

        Console.WriteLine($"load before: {Uptime()}; {Environment.ProcessorCount} CPUs; {runs} runs after 1 warm-up, per build and scenario");
        var scenarios = new[] { new StartupScenario("probe", probe, 0), new StartupScenario($"probe + 4-queue NIC, steering {steering}", probe, 4, steering) };
        foreach (string cli in clis)
            foreach (var scenario in scenarios)
                Report(cli, scenario, runs);
        Console.WriteLine($"load after: {Uptime()}");
        return 0;
    }

    private static void Report(string cli, StartupScenario scenario, int runs)
    {
        StartupRun.Measure(cli, scenario); // warm the page cache; not counted
        var samples = new List<StartupSample>();
        for (int i = 0; i < runs; i++) samples.Add(StartupRun.Measure(cli, scenario));
        Console.WriteLine();
        Console.WriteLine($"== {scenario.Name}: {scenario.Display(cli)}");
        Console.WriteLine($"   start -> first serial byte:  {Stats(samples.Select(s => s.FirstByteMs), "ms")}");
        if (scenario.WithNet)
            Console.WriteLine($"   start -> \"probe: ready\":     {Stats(samples.Select(s => s.ReadyMs!.Value), "ms")}");
        string at = scenario.WithNet ? "at \"probe: ready\"" : "at first byte";
        Console.WriteLine($"   peak RSS w/o guest RAM {at}: {Stats(samples.Select(s => s.Memory.VmmMib), "MiB")}");
        Console.WriteLine($"   (VmHWM {Stats(samples.Select(s => s.Memory.HwmKib / 1024.0), "MiB")}; guest RAM resident {Stats(samples.Select(s => s.Memory.GuestMib), "MiB")})");
        var late = samples.Where(s => s.Late is not null).Select(s => s.Late!.Value).ToList();
        if (!scenario.WithNet)
            Console.WriteLine(late.Count == 0
                ? "   at \"probe: net none\": no reading (the VMM always exited first)"
                : $"   peak RSS w/o guest RAM at \"probe: net none\" ({late.Count} of {runs} caught): {Stats(late.Select(m => m.VmmMib), "MiB")}");
    }

    private static string Stats(IEnumerable<double> values, string unit)
    {
        var sorted = values.Order().ToList();
        double median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        return string.Create(CultureInfo.InvariantCulture, $"median {median:F1} {unit} (min {sorted[0]:F1}, max {sorted[^1]:F1})");
    }

    private static string Uptime()
    {
        string[] avg = File.ReadAllText("/proc/loadavg").Split(' ');
        return $"load average {avg[0]}, {avg[1]}, {avg[2]}";
    }

    private static string FindRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "MiniVmm.sln"))) dir = Path.GetDirectoryName(dir);
        if (dir is null) throw new InvalidOperationException($"no MiniVmm.sln above {AppContext.BaseDirectory}");
        return dir;
    }
}
