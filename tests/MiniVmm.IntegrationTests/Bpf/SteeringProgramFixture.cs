using System.Diagnostics;
using MiniVmm.Bpf;
using MiniVmm.IntegrationTests.Infrastructure;

namespace MiniVmm.IntegrationTests.Bpf;

/// <summary>
/// Builds bpf/ with its Makefile into out/bpf (quick when nothing changed) and loads the plain and
/// the kfunc variant once for a test class.
/// </summary>
public sealed class SteeringProgramFixture : IDisposable
{
    private static readonly object s_buildLock = new();

    public SteeringProgramFixture()
    {
        BuildObjects();
        Plain = RssSteeringProgram.Load(PlainObject);
        WithKfuncs = RssSteeringProgram.Load(KfuncObject);
    }

    public static string PlainObject => Path.Combine(RepoPaths.BpfObjects, "rss_steering.bpf.o");

    public static string KfuncObject => Path.Combine(RepoPaths.BpfObjects, "rss_steering_kfunc.bpf.o");

    public RssSteeringProgram Plain { get; }

    public RssSteeringProgram WithKfuncs { get; }

    public static void BuildObjects()
    {
        lock (s_buildLock)
        {
            var psi = new ProcessStartInfo("make", ["-s", "-C", Path.Combine(RepoPaths.Root, "bpf"), $"OUT={RepoPaths.BpfObjects}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            };
            using var make = Process.Start(psi)!;
            string output = make.StandardOutput.ReadToEnd() + make.StandardError.ReadToEnd();
            make.WaitForExit();
            if (make.ExitCode != 0) throw new InvalidOperationException($"make -C bpf failed:\n{output}");
        }
    }

    public void Dispose()
    {
        Plain.Dispose();
        WithKfuncs.Dispose();
    }
}
