using System.Diagnostics;
using Tmds.Linux;

namespace MiniVmm.Benchmarks;

/// <summary>
/// One `minivmm run` of the probe: the time from Process.Start to the first byte on the guest's
/// COM1 (the VMM's stdout), then the memory reading with the process frozen by SIGSTOP.
/// Without a NIC the reading is taken at the first byte (start-up done, guest running) and once
/// more, best effort, at "probe: net none" (the guest's last line before the exit port). With a
/// NIC it is taken at "probe: ready" (the guest's driver has set up every queue and RSS), and
/// the VMM is then stopped with SIGTERM, which makes it remove its TAP.
/// </summary>
public static class StartupRun
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static StartupSample Measure(string cli, StartupScenario scenario)
    {
        var start = new ProcessStartInfo(cli) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in scenario.Arguments()) start.ArgumentList.Add(a);
        var stderr = new System.Text.StringBuilder();
        var watch = Stopwatch.StartNew();
        using var p = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {cli}");
        using var guard = new Timer(_ => { try { p.Kill(); } catch (InvalidOperationException) { } }, null, Timeout, System.Threading.Timeout.InfiniteTimeSpan);
        p.ErrorDataReceived += (_, e) => { lock (stderr) stderr.AppendLine(e.Data); };
        p.BeginErrorReadLine();
        try
        {
            return Measured(p, watch, scenario, stderr, cli);
        }
        catch
        {
            Stop(p); // never leave a (possibly stopped) VMM or its TAP behind
            throw;
        }
    }

    private static StartupSample Measured(Process p, Stopwatch watch, StartupScenario scenario, System.Text.StringBuilder stderr, string cli)
    {
        int first = p.StandardOutput.BaseStream.ReadByte();
        double firstMs = watch.Elapsed.TotalMilliseconds;
        if (first != 'p') throw Failed(p, stderr, $"first serial byte {first}, expected 'p' of \"probe: hello\"");

        double? readyMs = null;
        StartupMemory memory = default;
        StartupMemory? late = null;
        if (!scenario.WithNet) memory = Frozen(p.Id, scenario.MemoryBytes);
        string output = "p";
        string? line;
        while ((line = p.StandardOutput.ReadLine()) is not null)
        {
            output += line + "\n";
            if (scenario.WithNet && line.StartsWith("probe: ready", StringComparison.Ordinal))
            {
                readyMs = watch.Elapsed.TotalMilliseconds;
                memory = Frozen(p.Id, scenario.MemoryBytes, thenSignal: LibC.SIGTERM);
            }
            else if (!scenario.WithNet && line.StartsWith("probe: net none", StringComparison.Ordinal))
            {
                late = TryFrozen(p.Id, scenario.MemoryBytes);
            }
        }
        p.WaitForExit();
        int expected = scenario.WithNet ? 128 + LibC.SIGTERM : 1; // exit=0 gives (0 << 1) | 1
        if (p.ExitCode != expected || (scenario.WithNet ? readyMs is null : !output.Contains("probe: exit 0\n", StringComparison.Ordinal)))
            throw Failed(p, stderr, $"exit code {p.ExitCode} (expected {expected}), output:\n{output}");
        if (scenario.TapName is string tap && Directory.Exists($"/sys/class/net/{tap}"))
            throw new InvalidOperationException($"TAP {tap} was left behind by {cli}");
        return new StartupSample(firstMs, readyMs, memory, late);
    }

    /// <summary>SIGSTOP, wait until every thread is stopped, read, then send <paramref name="thenSignal"/> (if any) and SIGCONT.</summary>
    private static StartupMemory Frozen(int pid, ulong guestBytes, int thenSignal = 0)
    {
        Signal(pid, LibC.SIGSTOP);
        try
        {
            WaitStopped(pid);
            return StartupMemory.Read(pid, guestBytes);
        }
        finally
        {
            if (thenSignal != 0) Signal(pid, thenSignal);
            Signal(pid, LibC.SIGCONT);
        }
    }

    /// <summary>Like Frozen, but the process may already have exited (then there is no reading).</summary>
    private static StartupMemory? TryFrozen(int pid, ulong guestBytes)
    {
        try
        {
            return Frozen(pid, guestBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return null;
        }
    }

    private static void Signal(int pid, int signal)
    {
        if (LibC.kill(pid, signal) != 0) throw new IOException($"kill({pid}, {signal}) failed: errno {LibC.errno}");
    }

    /// <summary>Group stop reaches each thread on its way back to user space; wait for all of them.</summary>
    private static void WaitStopped(int pid)
    {
        var until = Stopwatch.StartNew();
        while (true)
        {
            bool all = true;
            foreach (string task in Directory.GetDirectories($"/proc/{pid}/task"))
            {
                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                char state = stat[stat.LastIndexOf(')') + 2];
                if (state is not ('T' or 't' or 'Z' or 'X')) { all = false; break; }
            }
            if (all) return;
            if (until.Elapsed > TimeSpan.FromSeconds(5)) throw new InvalidOperationException($"process {pid} did not stop");
            Thread.Sleep(1);
        }
    }

    private static InvalidOperationException Failed(Process p, System.Text.StringBuilder stderr, string what)
    {
        Stop(p);
        lock (stderr) return new InvalidOperationException($"{what}\nstderr: {stderr}");
    }

    /// <summary>SIGTERM (the VMM removes its TAP), SIGCONT in case it is frozen, SIGKILL after 5 s.</summary>
    private static void Stop(Process p)
    {
        try
        {
            if (p.HasExited) return;
            LibC.kill(p.Id, LibC.SIGTERM);
            LibC.kill(p.Id, LibC.SIGCONT);
            if (!p.WaitForExit(5000)) p.Kill();
            p.WaitForExit();
        }
        catch (InvalidOperationException) { }
    }
}
