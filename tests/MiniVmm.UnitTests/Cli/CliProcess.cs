using System.Diagnostics;

namespace MiniVmm.UnitTests.Cli;

/// <summary>Runs the built minivmm apphost (copied next to the test assembly) as a real process.</summary>
public static class CliProcess
{
    public static string Path => System.IO.Path.Combine(AppContext.BaseDirectory, "minivmm");

    public static (int ExitCode, string Stdout, string Stderr) Run(params string[] args)
    {
        Assert.True(File.Exists(Path), $"the minivmm apphost is missing at {Path}: build MiniVmm.Cli first");
        var start = new ProcessStartInfo(Path) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        foreach (string v in start.Environment.Keys.Where(k => k.StartsWith("MINIVMM_", StringComparison.Ordinal)).ToList()) start.Environment.Remove(v);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(30_000), "minivmm did not finish within 30 s");
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
