using System.Diagnostics;
using MiniVmm.IntegrationTests.Infrastructure;

namespace MiniVmm.IntegrationTests.Cli;

/// <summary>Runs the CLI that build.sh published (out/bin/minivmm) as a real process, with MINIVMM_* variables removed.</summary>
public static class MinivmmProcess
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public string[] StderrLines => Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);

        public override string ToString() => $"exit {ExitCode}\nstdout: {Stdout}\nstderr: {Stderr}";
    }

    public static Result Run(string? stdin, TimeSpan timeout, params string[] args)
    {
        Assert.True(File.Exists(RepoPaths.Cli), $"the CLI is missing at {RepoPaths.Cli}: run ./build.sh first");
        var start = new ProcessStartInfo(RepoPaths.Cli)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        foreach (string a in args) start.ArgumentList.Add(a);
        foreach (string v in start.Environment.Keys.Where(k => k.StartsWith("MINIVMM_", StringComparison.Ordinal)).ToList()) start.Environment.Remove(v);
        using var p = Process.Start(start)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null) p.StandardInput.Write(stdin);
        p.StandardInput.Close();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Assert.Fail($"minivmm {string.Join(' ', args)} did not finish within {timeout.TotalSeconds} s");
        }
        return new Result(p.ExitCode, stdout.Result, stderr.Result);
    }

    public static Result Run(params string[] args) => Run(null, TimeSpan.FromSeconds(60), args);
}
