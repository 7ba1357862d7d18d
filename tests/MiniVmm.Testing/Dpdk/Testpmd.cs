using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace MiniVmm.Testing.Dpdk;

/// <summary>
/// DPDK's dpdk-testpmd as a third-party vhost-user back end (its net_vhost PMD creates and listens on
/// the socket): interactive, driven through stdin, its stdout line-buffered (stdbuf) and collected.
/// Without hugepages (--no-huge -m 512) and with both lcores on CPU 0 ('0@0,1@0'), so its busy
/// polling leaves the other CPU to the VMM and the guest. What it got and sent per queue is read
/// from its own forwarding statistics at <see cref="StopForwarding"/>. Dispose quits it (kills it if
/// it does not go) and removes its socket and its runtime directory.
/// </summary>
public sealed partial class Testpmd : IDisposable
{
    public const string Binary = "/usr/bin/dpdk-testpmd";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);

    private readonly Process _process;
    private readonly List<string> _lines = [];
    private readonly object _lock = new();
    private readonly string _prefix;

    private Testpmd(string socket, int queues, string forwardMode)
    {
        SocketPath = socket;
        _prefix = $"mvt{Environment.ProcessId}-{Random.Shared.Next(1_000_000)}";
        var start = new ProcessStartInfo("stdbuf") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[]
        {
            "-oL", Binary, "--no-huge", "-m", "512", "--no-pci", "--lcores", "0@0,1@0", "--file-prefix", _prefix,
            "--vdev", $"net_vhost0,iface={socket},queues={queues}", "--",
            "-i", "--total-num-mbufs=16384", $"--rxq={queues}", $"--txq={queues}", "--nb-cores=1", $"--forward-mode={forwardMode}",
        }) start.ArgumentList.Add(a);
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string SocketPath { get; }

    /// <summary>testpmd's own pid: stdbuf execs it, so the process started is testpmd.</summary>
    public int Pid => _process.Id;

    /// <summary>Everything testpmd printed so far (stdout and stderr, by line).</summary>
    public IReadOnlyList<string> Lines
    {
        get { lock (_lock) return [.. _lines]; }
    }

    /// <summary>
    /// Starts testpmd with a net_vhost port of <paramref name="queues"/> queue pairs on
    /// <paramref name="socket"/> and forwarding in <paramref name="forwardMode"/> (rxonly, txonly,
    /// io, ...) already started; returns once the socket exists and forwarding runs.
    /// </summary>
    public static Testpmd StartVhostBackEnd(string socket, int queues, string forwardMode)
    {
        var testpmd = new Testpmd(socket, queues, forwardMode);
        try
        {
            testpmd.WaitFor(() => File.Exists(socket), "its socket");
            int from = testpmd.Lines.Count;
            testpmd.Command("start");
            testpmd.WaitForLine(l => l.Contains("packet forwarding - ports=", StringComparison.Ordinal), "forwarding to start", from);
            return testpmd;
        }
        catch
        {
            testpmd.Dispose();
            throw;
        }
    }

    public void Command(string line)
    {
        _process.StandardInput.WriteLine(line);
        _process.StandardInput.Flush();
    }

    /// <summary>`stop`: forwarding ends and testpmd prints one block of counters per stream (port 0, queue i -> queue i).</summary>
    public IReadOnlyList<TestpmdStream> StopForwarding()
    {
        int from = Lines.Count;
        Command("stop");
        WaitForLine(l => l.Trim() == "Done.", "the statistics after stop", from);
        List<string> lines = [.. Lines.Skip(from)];
        var streams = new List<TestpmdStream>();
        for (int i = 0; i + 1 < lines.Count; i++)
        {
            if (StreamHeader().Match(lines[i]) is not { Success: true } h) continue;
            Match c = StreamCounters().Match(lines[i + 1]);
            if (!c.Success) throw new InvalidOperationException($"testpmd: no counters after '{lines[i]}': '{lines[i + 1]}'");
            streams.Add(new TestpmdStream(Number(h, "rxq"), Number(h, "txq"), UNumber(c, "rx"), UNumber(c, "tx"), UNumber(c, "drop")));
        }
        return streams;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                Command("quit");
                if (!_process.WaitForExit(10_000)) _process.Kill();
            }
            _process.WaitForExit();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException)
        {
            // stdin closed: it is already gone
        }
        _process.Dispose();
        File.Delete(SocketPath);
        string runtime = $"/var/run/dpdk/{_prefix}";
        if (Directory.Exists(runtime)) Directory.Delete(runtime, recursive: true);
    }

    /// <summary>Waits (bounded) until a line from index <paramref name="from"/> on matches.</summary>
    private void WaitForLine(Func<string, bool> match, string what, int from) => WaitFor(() => _lines.Skip(from).Any(match), what);

    /// <summary>Waits (bounded; woken by each new line, else every 100 ms) until the condition holds; fails with what testpmd printed.</summary>
    private void WaitFor(Func<bool> condition, string what)
    {
        long deadline = Environment.TickCount64 + (long)Patience.TotalMilliseconds;
        lock (_lock)
        {
            while (!condition())
            {
                long left = deadline - Environment.TickCount64;
                if (left <= 0 || _process.HasExited)
                {
                    throw new InvalidOperationException($"testpmd: no {what} within {Patience.TotalSeconds:0} s:\n{string.Join('\n', _lines.TakeLast(30))}");
                }
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(Math.Min(left, 100)));
            }
        }
    }

    private void Add(string? line)
    {
        if (line is null) return;
        lock (_lock)
        {
            _lines.Add(line);
            Monitor.PulseAll(_lock);
        }
    }

    private static int Number(Match m, string group) => int.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    private static ulong UNumber(Match m, string group) => ulong.Parse(m.Groups[group].Value, CultureInfo.InvariantCulture);

    [GeneratedRegex(@"Forward Stats for RX Port=\s*0/Queue=\s*(?<rxq>\d+) -> TX Port=\s*0/Queue=\s*(?<txq>\d+)")]
    private static partial Regex StreamHeader();

    [GeneratedRegex(@"RX-packets:\s*(?<rx>\d+)\s+TX-packets:\s*(?<tx>\d+)\s+TX-dropped:\s*(?<drop>\d+)")]
    private static partial Regex StreamCounters();
}
