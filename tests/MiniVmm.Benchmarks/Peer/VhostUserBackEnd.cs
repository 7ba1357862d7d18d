using System.Diagnostics;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// `minivmm vhost-user-net --socket S --net tap=NAME,queues=N` as a subprocess beside the front end
/// under test: started and listening before the front end connects (bounded wait for its
/// "listening on" line), stopped with SIGTERM at Dispose (killed if it does not end within 10 s).
/// Its pid lets <see cref="ProbeVm"/> sample its CPU time at the same moments as the VMM's.
/// </summary>
public sealed class VhostUserBackEnd : IProbeBackEnd
{
    private readonly Process _process;
    private readonly List<string> _log = [];

    private VhostUserBackEnd(Process process, string socketPath)
    {
        _process = process;
        SocketPath = socketPath;
    }

    public string SocketPath { get; }

    public int Pid => _process.Id;

    /// <summary>The socket the back end for <paramref name="tap"/> listens on: one per TAP, since the benchmark's TAP names are unique per run.</summary>
    public static string SocketFor(string tap) => Path.Combine(Path.GetTempPath(), $"{tap}.vhost-user.sock");

    /// <summary>
    /// Starts the back end on <paramref name="tap"/> and waits until it listens; throws with its log when it does not within 20 s.
    /// <paramref name="steering"/> null leaves the back end's default (auto).
    /// </summary>
    public static VhostUserBackEnd Start(string binary, string socketPath, string tap, int queues, string? steering = null)
    {
        var info = new ProcessStartInfo(binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        // hash-report=off: QEMU 7.2 cannot pass hash reporting to a vhost-user back end, and our front end
        // is compared with the in-process 'minivmm <steering>' configuration, which runs without hash report.
        string net = $"tap={tap},queues={queues},hash-report=off{(steering is null ? "" : ",steering=" + steering)}";
        foreach (string a in new[] { "vhost-user-net", "--socket", socketPath, "--net", net }) info.ArgumentList.Add(a);
        var process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {binary}");
        var backEnd = new VhostUserBackEnd(process, socketPath);
        var listening = new ManualResetEventSlim();
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null) return;
            lock (backEnd._log) backEnd._log.Add(e.Data);
            if (e.Data.Contains("listening on", StringComparison.Ordinal)) listening.Set();
        };
        process.BeginErrorReadLine();
        if (!listening.Wait(TimeSpan.FromSeconds(20)))
        {
            backEnd.Dispose();
            throw new InvalidOperationException($"the vhost-user back end did not listen within 20 s: {backEnd.Log}");
        }
        return backEnd;
    }

    /// <summary>What the back end logged so far, one line per entry joined with " | ".</summary>
    public string Log
    {
        get { lock (_log) return string.Join(" | ", _log); }
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                using (var kill = Process.Start("kill", ["-TERM", _process.Id.ToString()])) kill?.WaitForExit();
                if (!_process.WaitForExit(10_000)) _process.Kill(entireProcessTree: true);
            }
            _process.WaitForExit();
        }
        catch (InvalidOperationException)
        {
            // already reaped
        }
        _process.Dispose();
        File.Delete(SocketPath); // only if it was killed; a SIGTERM removes it itself
    }
}
