using System.Diagnostics;
using System.Globalization;

namespace MiniVmm.Benchmarks;

/// <summary>
/// Process start to the guest's first serial byte, and the VMM's peak RSS without guest RAM
/// (VmHWM minus the Rss of the guest-RAM mapping in /proc/PID/smaps), over several runs.
/// usage: MiniVmm.Benchmarks startup [MINIVMM] [RUNS]  (MINIVMM defaults to out/bin/minivmm)
/// </summary>
public static class StartupBenchmark
{
    private const ulong GuestMemoryBytes = 256UL << 20;

    public static int Run(string[] args)
    {
        string cli = args.Length > 0 ? Path.GetFullPath(args[0]) : FindDefaultCli();
        int runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 10;
        string kernel = StartupGuest.Write();
        try
        {
            var firstByte = new List<double>();
            var rss = new List<double>();
            Measure(cli, kernel); // warm the page cache; not counted
            for (int i = 0; i < runs; i++)
            {
                var (ms, kib) = Measure(cli, kernel);
                firstByte.Add(ms);
                rss.Add(kib / 1024.0);
            }
            Console.WriteLine($"minivmm: {cli}");
            Console.WriteLine($"guest: generated 11-byte ELF64 (out 0x3f8 'R'; hlt), --memory 256M, {runs} runs");
            Console.WriteLine($"start -> first serial byte: median {Median(firstByte):F1} ms, min {firstByte.Min():F1} ms, max {firstByte.Max():F1} ms");
            Console.WriteLine($"peak RSS excluding guest RAM: median {Median(rss):F1} MiB, min {rss.Min():F1} MiB, max {rss.Max():F1} MiB");
            return 0;
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    private static (double Ms, long PeakKib) Measure(string cli, string kernel)
    {
        var start = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardInput = true, RedirectStandardError = true };
        foreach (string a in new[] { "run", "--kernel", kernel, "--memory", "256M" }) start.ArgumentList.Add(a);
        var watch = Stopwatch.StartNew();
        using var p = Process.Start(start)!;
        int b = p.StandardOutput.BaseStream.ReadByte();
        double ms = watch.Elapsed.TotalMilliseconds;
        if (b != 'R') throw new InvalidOperationException($"unexpected first byte {b}: {p.StandardError.ReadToEnd()}");
        Thread.Sleep(100); // let start-up finish settling (JIT of the idle paths) before reading the peak
        long hwm = ReadStatusKib(p.Id, "VmHWM:");
        long guest = GuestRamRssKib(p.Id);
        p.Kill(entireProcessTree: false);
        p.WaitForExit();
        return (ms, hwm - guest);
    }

    private static long ReadStatusKib(int pid, string key)
    {
        string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(key, StringComparison.Ordinal));
        return long.Parse(line[key.Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
    }

    /// <summary>The Rss of the anonymous mapping exactly as large as guest RAM.</summary>
    private static long GuestRamRssKib(int pid)
    {
        bool inGuestRam = false;
        foreach (string line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            if (line.StartsWith("Size:", StringComparison.Ordinal))
                inGuestRam = long.Parse(line[5..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024 == (long)GuestMemoryBytes;
            else if (inGuestRam && line.StartsWith("Rss:", StringComparison.Ordinal))
                return long.Parse(line[4..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
        }
        return 0;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }

    private static string FindDefaultCli()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "MiniVmm.sln"))) dir = Path.GetDirectoryName(dir);
        return Path.Combine(dir ?? ".", "out", "bin", "minivmm");
    }
}
