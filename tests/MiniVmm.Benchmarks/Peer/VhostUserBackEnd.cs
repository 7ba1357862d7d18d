using System.Diagnostics;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// `minivmm vhost-user-net --socket S --net tap=NAME,queues=N` as a subprocess beside the front end
/// under test: started and listening before the front end connects (bounded wait for its
/// "listening on" line), stopped with SIGTERM at Dispose (killed if it does not end within 10 s).
/// Its pid lets <see cref="ProbeVm"/> sample its CPU time at the same moments as the VMM's.
/// </summary>
public sealed class VhostUserBackEnd : IDisposable
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

    /// <summary>Starts the back end on <paramref name="tap"/> and waits until it listens; throws with its log when it does not within 20 s.</summary>
    public static VhostUserBackEnd Start(string binary, string socketPath, string tap, int queues)
    {
        var info = new ProcessStartInfo(binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        // hash-report=off: QEMU 7.2 cannot pass RSS or hash reporting to a vhost-user back end, so nothing would read the hash.
        foreach (string a in new[] { "vhost-user-net", "--socket", socketPath, "--net", $"tap={tap},queues={queues},hash-report=off" }) info.ArgumentList.Add(a);
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
