using System.Diagnostics;

namespace MiniVmm.Benchmarks;

/// <summary>
/// A JIT (framework-dependent) build of the CLI in out/jit, for comparison with the product binary
/// (out/bin/minivmm, NativeAOT). Published here from the solution build that build.sh just made
/// (no rebuild, a few seconds), as `./build.sh jit` does, so it is never older than the product.
/// </summary>
public static class StartupJitPublish
{
    public static string Ensure(string root)
    {
        string jit = Path.Combine(root, "out", "jit", "minivmm");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = root };
        foreach (string a in new[] { "publish", "vmm/MiniVmm.Cli/MiniVmm.Cli.csproj", "-c", "Release", "--no-build", "-p:PublishAot=false", "-o", "out/jit", "-nologo" })
            start.ArgumentList.Add(a);
        Console.WriteLine($"publishing the JIT build: dotnet {string.Join(' ', start.ArgumentList)}");
        using var p = Process.Start(start) ?? throw new InvalidOperationException("cannot start dotnet");
        var errors = p.StandardError.ReadToEndAsync();
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0 || !File.Exists(jit))
            throw new InvalidOperationException($"JIT publish failed:\n{output}{errors.Result}");
        return jit;
    }
}
