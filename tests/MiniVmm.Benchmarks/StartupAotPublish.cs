using System.Diagnostics;

namespace MiniVmm.Benchmarks;

/// <summary>
/// The NativeAOT build of the CLI in out/aot: published here when it is missing or older than the
/// normal build (a couple of minutes on these machines), with every warning of the publish shown,
/// since a trim or AOT warning there means some code path may fail only in the AOT binary.
/// </summary>
public static class StartupAotPublish
{
    public static string Ensure(string root)
    {
        string aot = Path.Combine(root, "out", "aot", "minivmm");
        string normal = Path.Combine(root, "out", "bin", "minivmm.dll");
        if (File.Exists(aot) && (!File.Exists(normal) || File.GetLastWriteTimeUtc(aot) >= File.GetLastWriteTimeUtc(normal)))
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
