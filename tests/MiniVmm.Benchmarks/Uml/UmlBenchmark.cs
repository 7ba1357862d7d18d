using System.Globalization;
using MiniVmm.Testing.Uml;

namespace MiniVmm.Benchmarks.Uml;

/// <summary>
/// iperf3 TCP throughput of a Linux 6.1 guest (User-Mode Linux) through `minivmm vhost-user-net`
/// with 1 and 4 queue pairs, next to UML's own TAP transport (vec0) in the same run, guest->host and
/// host->guest, all inside a network namespace it creates (and deletes). One UML boot per row;
/// rows are measured one after the other, so pair them only within one run.
/// Usage: MiniVmm.Benchmarks uml [--seconds N] (iperf3 -t per direction, default 5).
/// </summary>
public static class UmlBenchmark
{
    private static UmlIperfRun? _current;
    private static NetworkNamespace? _namespace;

    public static int Run(string[] args)
    {
        int seconds = 5;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--seconds" && i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out seconds) && seconds is > 0 and <= 600) i++;
            else
            {
                Console.Error.WriteLine("usage: MiniVmm.Benchmarks uml [--seconds N]   (N: iperf3 seconds per direction, 1-600)");
                return 2;
            }
        }
        string minivmm = Path.Combine(UmlPaths.Root, "out", "bin", "minivmm");
        foreach (string need in new[] { minivmm, UmlPaths.Launcher, UmlPaths.Kernel, "/usr/bin/iperf3" })
        {
            if (!File.Exists(need))
            {
                Console.Error.WriteLine($"uml benchmark: {need} not found (./build.sh builds and installs what it needs)");
                return 2;
            }
        }

        UmlTransport[] rows = [new(true, 1, 1), new(false, 1, 1), new(true, 4, 4), new(false, 1, 4)];
        using var interruption = new Interruption(() => { _current?.Kill(); _namespace?.Dispose(); });
        using var ns = NetworkNamespace.Create();
        _namespace = ns;
        var run = new UmlIperfRun(ns, minivmm, seconds);
        _current = run;
        Console.WriteLine($"uml benchmark: iperf3 TCP, {seconds} s per direction, UML {UmlPaths.Kernel} (1 CPU) in namespace {ns.Name}; one boot per row");
        Console.WriteLine($"start: {HostInterface.LoadAverage()}");
        var results = new List<UmlIperfResult>();
        foreach (UmlTransport t in rows)
        {
            if (interruption.Requested) return interruption.ExitCode;
            UmlIperfResult r = run.Measure(t, Console.WriteLine);
            results.Add(r);
            Console.WriteLine(r.Error is null
                ? $"  {t.Label}, {t.Streams} stream(s): guest->host {Gbps(r.UpBitsPerSecond)} Gbps ({r.UpRetransmits} retr), host->guest {Gbps(r.DownBitsPerSecond)} Gbps ({r.DownRetransmits} retr)"
                : $"  {t.Label}, {t.Streams} stream(s): failed: {r.Error}");
        }
        Console.WriteLine($"end: {HostInterface.LoadAverage()}");
        Print(results);
        _current = null;
        _namespace = null;
        return results.Any(r => r.Error is not null) ? 1 : 0;
    }

    /// <summary>One row per transport and stream count; the ratios are ours over UML's vec0 with the same streams.</summary>
    private static void Print(List<UmlIperfResult> results)
    {
        Console.WriteLine();
        Console.WriteLine("| transport | streams | guest->host Gbps (retr) | host->guest Gbps (retr) | g->h vs vec0 | h->g vs vec0 |");
        Console.WriteLine("|---|---:|---:|---:|---:|---:|");
        foreach (UmlIperfResult r in results)
        {
            UmlIperfResult? tap = results.FirstOrDefault(x => !x.Transport.VhostUser && x.Transport.Streams == r.Transport.Streams && x.Error is null);
            string upRatio = "", downRatio = "";
            if (r.Transport.VhostUser && tap is not null && r.Error is null)
            {
                upRatio = Ratio(r.UpBitsPerSecond, tap.UpBitsPerSecond);
                downRatio = Ratio(r.DownBitsPerSecond, tap.DownBitsPerSecond);
            }
            string up = r.Error is null ? $"{Gbps(r.UpBitsPerSecond)} ({r.UpRetransmits})" : "failed";
            string down = r.Error is null ? $"{Gbps(r.DownBitsPerSecond)} ({r.DownRetransmits})" : "failed";
            Console.WriteLine($"| {r.Transport.Label} | {r.Transport.Streams} | {up} | {down} | {upRatio} | {downRatio} |");
        }
    }

    private static string Gbps(double bitsPerSecond) => (bitsPerSecond / 1e9).ToString(bitsPerSecond < 1e7 ? "F5" : "F2", CultureInfo.InvariantCulture);

    private static string Ratio(double ours, double theirs) => theirs > 0 ? (ours / theirs).ToString(ours / theirs >= 100 ? "F0" : "F2", CultureInfo.InvariantCulture) + "x" : "-";
}
