using System.Diagnostics;

namespace MiniVmm.Benchmarks;

/// <summary>
/// The NativeAOT build of the CLI in out/aot, published here (a couple of minutes on these
/// machines) when it is missing or older than any assembly of the normal build in out/bin. Every
/// warning of the publish is shown: a trim or AOT warning means a path may fail only under AOT.
/// </summary>
public static class StartupAotPublish
{
    public static string Ensure(string root)
    {
        string aot = Path.Combine(root, "out", "aot", "minivmm");
        // Stale when any assembly of the normal build (each product layer is one) is newer.
        string bin = Path.Combine(root, "out", "bin");
        DateTime newest = Directory.Exists(bin)
            ? Directory.GetFiles(bin, "*.dll").Select(File.GetLastWriteTimeUtc).DefaultIfEmpty(DateTime.MinValue).Max()
            : DateTime.MinValue;
        if (File.Exists(aot) && File.GetLastWriteTimeUtc(aot) >= newest)
            return aot;
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (string a in new[] { "publish", "vmm/MiniVmm.Cli/MiniVmm.Cli.csproj", "-c", "Release", "-p:PublishAot=true", "-o", "out/aot", "-nologo" })
            start.ArgumentList.Add(a);
        Console.WriteLine($"publishing NativeAOT: dotnet {string.Join(' ', start.ArgumentList)}");
        var watch = Stopwatch.StartNew();
        using var p = Process.Start(start) ?? throw new InvalidOperationException("cannot start dotnet");
        var errors = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        var warnings = (output + errors.Result).Split('\n').Where(l => l.Contains("warning", StringComparison.OrdinalIgnoreCase)).Distinct().ToList();
        foreach (string w in warnings) Console.WriteLine($"  {w.Trim()}");
        Console.WriteLine($"published in {watch.Elapsed.TotalSeconds:F0} s, exit {p.ExitCode}, {warnings.Count} warning lines");
        if (p.ExitCode != 0 || !File.Exists(aot))
            throw new InvalidOperationException($"NativeAOT publish failed:\n{output}{errors.Result}");
        return aot;
    }
}
