using System.Diagnostics;
using System.Text.Json;
using MiniVmm.IntegrationTests.Cli;
using MiniVmm.IntegrationTests.HostNet;
using MiniVmm.IntegrationTests.Infrastructure;

namespace MiniVmm.IntegrationTests.Uml;

/// <summary>
/// `minivmm steer-test --guest linux` as a user runs it (out/bin/minivmm): Linux 6.1's virtio_net
/// in User-Mode Linux drives our device over vhost-user, configured with ethtool, and every frame
/// of the flow set must reach the guest's stack on the queue and with the hash the RSS
/// configuration the driver sent says. Each case is one UML boot (about 5 s).
/// </summary>
[Collection(EndToEnd.EndToEndCollection.Name)]
public sealed class LinuxSteerTestCliTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(150);

    /// <summary>A second key (any 40 bytes) for the run-time reconfiguration.</summary>
    private const string Key2 = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

    [HostTheory(HostNeeds.Bpf | HostNeeds.Tap | HostNeeds.Uml)]
    [InlineData("auto", 4, "on", false)]
    [InlineData("auto", 1, "on", false)]
    [InlineData("auto", 4, "off", true)]
    [InlineData("software", 4, "on", true)]
    [InlineData("software", 1, "off", false)]
    public void Every_frame_reaches_the_linux_driver_on_its_queue_with_its_hash(string steering, int queues, string hashReport, bool reconfigure)
    {
        string tap = $"mvl{Random.Shared.Next(1_000_000, 9_999_999)}";
        List<string> args = ["steer-test", "--guest", "linux", "--json", "--queues", $"{queues}", "--steering", steering, "--hash-report", hashReport, "--tap", tap, "--timeout", "120"];
        // The second table: one entry in four on queue 0, the rest on queue 1; ethtool turns it into weights 1 3.
        if (reconfigure) args.AddRange(["--table2", "0,1,1,1", "--key2", Key2]);
        MinivmmProcess.Result r = MinivmmProcess.Run(null, Timeout, [.. args]);
        TapTestKit.AssertRemoved(tap);

        using JsonDocument doc = JsonDocument.Parse(r.Stdout);
        JsonElement root = doc.RootElement;
        int frames = root.GetProperty("frames").GetInt32(), mismatches = root.GetProperty("mismatches").GetInt32();
        string first = string.Join("; ", root.GetProperty("mismatch_list").EnumerateArray().Take(5)
            .Select(m => $"{m.GetProperty("id").GetInt64()} {m.GetProperty("frame").GetString()}: {m.GetProperty("problem").GetString()}"));
        Assert.True(r.ExitCode == 0 && mismatches == 0, $"exit {r.ExitCode}, {mismatches} mismatches of {frames} frames ({first}); stderr: {r.Stderr}");
        Assert.Equal("linux", root.GetProperty("guest").GetString());
        Assert.True(frames >= (reconfigure ? 2000 : 1000), $"only {frames} frames sent");
        Assert.Equal(frames, root.GetProperty("received").GetInt32());
        Assert.Equal(hashReport == "on", root.GetProperty("hash_report_checked").GetBoolean());
        if (steering == "software") Assert.Equal("software", root.GetProperty("backend").GetString());

        // What the driver sent, as the rig read it from the device: ethtool -X equal N, then weight 1 3.
        List<string> notes = [.. root.GetProperty("notes").EnumerateArray().Select(n => n.GetString()!)];
        string equal = string.Join('/', Enumerable.Repeat(128 / queues, queues));
        Assert.Contains(notes, n => n.StartsWith("phase 1: the driver set hash types 0x03f ", StringComparison.Ordinal) && n.Contains($"(per queue {equal})"));
        if (reconfigure) Assert.Contains(notes, n => n.StartsWith("phase 2: ", StringComparison.Ordinal) && n.Contains("key 0123456789abcdef...") && n.Contains("(per queue 32/96)"));

        // With more than one queue the flows spread: every queue the table names gets frames.
        JsonElement[] perQueue = [.. root.GetProperty("per_queue").EnumerateArray()];
        Assert.Equal(queues, perQueue.Length);
        Assert.All(perQueue, q => Assert.True(q.GetProperty("expected").GetInt32() > 0, $"queue {q.GetProperty("queue").GetInt32()} expected no frames"));
    }

    /// <summary>
    /// SIGTERM while the guest runs: the rig kills it and exits 143 (128 + 15) with one line, leaving
    /// no UML process, no TAP and no temporary directory (socket file and guest script).
    /// </summary>
    [HostFact(HostNeeds.Bpf | HostNeeds.Tap | HostNeeds.Uml)]
    public void Sigterm_while_the_guest_runs_ends_the_rig_cleanly()
    {
        string tap = $"mvl{Random.Shared.Next(1_000_000, 9_999_999)}";
        string[] before = Directory.GetDirectories(Path.GetTempPath(), "minivmm-linux-*");
        using var rig = new RunningMinivmm("steer-test", "--guest", "linux", "--tap", tap, "--timeout", "120");
        int uml = WaitForChild(rig.Id, TimeSpan.FromSeconds(30));
        Assert.True(TapTestKit.InterfaceExists(tap), "the rig's TAP should exist while the guest runs");
        Process.Start("kill", ["-TERM", rig.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        Assert.Equal(143, rig.WaitForExit(TimeSpan.FromSeconds(30)));
        Assert.Contains("minivmm: steer-test: stopped by signal 15", rig.Stderr);
        Assert.False(Directory.Exists($"/proc/{uml}"), $"UML (pid {uml}) is still running");
        TapTestKit.AssertRemoved(tap);
        Assert.Equal(before, Directory.GetDirectories(Path.GetTempPath(), "minivmm-linux-*"));
    }

    /// <summary>The first child process of <paramref name="pid"/> (the rig's UML launcher, which execs linux.uml).</summary>
    private static int WaitForChild(int pid, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
            {
                string children = File.ReadAllText(Path.Combine(task, "children")).Trim();
                if (children.Length > 0) return int.Parse(children.Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture);
            }
            Thread.Sleep(20); // polling /proc: no event tells a parent's watcher that a child was forked
        }
        throw new TimeoutException($"minivmm (pid {pid}) started no child process within {timeout.TotalSeconds} s");
    }

    [Fact]
    public void Options_the_driver_decides_are_refused_with_one_line_and_exit_2()
    {
        foreach (string[] args in new[]
                 {
                     new[] { "--types", "ipv4" },
                     ["--unclassified", "1"],
                     ["--key", "0102"],
                     ["--vhost", "on"],
                     ["--probe", "/nonexistent"],
                 })
        {
            string tap = $"mvl{Random.Shared.Next(1_000_000, 9_999_999)}";
            MinivmmProcess.Result r = MinivmmProcess.Run(["steer-test", "--guest", "linux", "--tap", tap, .. args]);
            Assert.True(r.ExitCode == 2, $"{string.Join(' ', args)}: exit {r.ExitCode}; {r.Stderr}");
            string line = Assert.Single(r.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith($"minivmm: {args[0]}", line);
            Assert.False(TapTestKit.InterfaceExists(tap));
        }
    }
}
