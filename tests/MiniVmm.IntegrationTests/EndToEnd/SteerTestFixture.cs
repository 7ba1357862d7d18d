using MiniVmm.Cli.SteerTest;
using MiniVmm.IntegrationTests.Infrastructure;

namespace MiniVmm.IntegrationTests.EndToEnd;

/// <summary>Runs `minivmm steer-test` in-process on the built probe, with a unique TAP per run.</summary>
public static class SteerTestFixture
{
    public static string ProbePath
    {
        get
        {
            string path = Path.Combine(RepoPaths.GuestImages, "probe.elf");
            Assert.True(File.Exists(path), $"the probe image is missing at {path}: run ./build.sh first");
            return path;
        }
    }

    public static string UniqueTap() => $"mve{Random.Shared.Next(100_000, 999_999)}";

    public static (SteerTestResult Result, SteerTestRun Run) Execute(SteerTestOptions options, SteerTestRun? configured = null)
    {
        options = options with { ProbePath = ProbePath, TapName = UniqueTap(), TimeoutSeconds = 90 };
        var log = new StringWriter();
        SteerTestRun run = configured is null ? new SteerTestRun(options, log) : new SteerTestRun(options, log) { CustomFlows = configured.CustomFlows };
        SteerTestResult result = run.Execute();
        MiniVmm.IntegrationTests.HostNet.TapTestKit.AssertRemoved(options.TapName!);
        return (result, run);
    }

    public static void AssertAllMatched(SteerTestResult result, SteerTestRun run)
    {
        string details = string.Join("\n", result.Mismatches.Take(10).Select(m => $"{m.FrameId} {m.Description}: {m.Problem}")
            .Concat(run.Errors).Concat(run.OtherLines.TakeLast(10)));
        Assert.True(run.Errors.Count == 0, "probe/VM errors:\n" + details);
        Assert.True(result.Mismatches.Count == 0, $"{result.Mismatches.Count} mismatches:\n{details}");
        Assert.Equal(result.FramesSent, result.FramesReceived);
    }

    private static bool NetInterfaceExists(string name) => Directory.Exists($"/sys/class/net/{name}");
}
