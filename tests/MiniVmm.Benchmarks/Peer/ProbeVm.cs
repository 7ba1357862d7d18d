using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using MiniVmm.Benchmarks.Cpu;
using MiniVmm.Cli.SteerTest;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// One probe guest running under some VMM as a subprocess: its serial lines (stdout) go through
/// the CLI's <see cref="ProbeReport"/> parser and <see cref="ProbeRates"/>; stderr is kept for
/// the report. Waits are bounded; Dispose kills the process tree if it is still running.
/// </summary>
public sealed class ProbeVm : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = new();
    private readonly StringBuilder _stderr = new();
    private readonly List<string> _transcript = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _firstTxLineTicks = -1;
    private int _disposed;
    private int _txLines;

    private readonly int? _backEndPid;

    private ProbeVm(Process process, int? backEndPid)
    {
        _process = process;
        _backEndPid = backEndPid;
    }

    public ProbeReport Report { get; } = new();

    public ProbeRates Rates { get; } = new();

    /// <summary>Everything the VMM wrote on stderr so far.</summary>
    public string Stderr { get { lock (_stderr) return _stderr.ToString(); } }

    /// <summary>The serial lines seen so far (for error messages).</summary>
    public IReadOnlyList<string> Transcript => _transcript;

    public bool HasExited => _process.HasExited;

    /// <summary>The VMM's CPU time when `probe: ready` arrived (the guest's TX jobs start).</summary>
    public CpuSample? CpuAtReady { get; private set; }

    /// <summary>The VMM's CPU time when the first `tx q=` line arrived (the guest's first TX job ended).</summary>
    public CpuSample? CpuAtFirstTx { get; private set; }

    /// <summary>The VMM's CPU time at the latest `tx q=` line (the end of the guest's last TX job so far).</summary>
    public CpuSample? CpuAtLastTx { get; private set; }

    /// <summary>The VMM's CPU time when `probe: rx frames=` arrived (the RX phase ended).</summary>
    public CpuSample? CpuAtRxDone { get; private set; }

    /// <summary>The back end process's CPU time (a vhost-user back end), sampled with <see cref="CpuAtReady"/>; null without one.</summary>
    public CpuSample? BackEndCpuAtReady { get; private set; }

    /// <summary>The back end's CPU time sampled with <see cref="CpuAtFirstTx"/>.</summary>
    public CpuSample? BackEndCpuAtFirstTx { get; private set; }

    /// <summary>The back end's CPU time sampled with <see cref="CpuAtLastTx"/>.</summary>
    public CpuSample? BackEndCpuAtLastTx { get; private set; }

    /// <summary>The back end's CPU time sampled with <see cref="CpuAtRxDone"/>.</summary>
    public CpuSample? BackEndCpuAtRxDone { get; private set; }

    /// <summary>Time since start, on the clock the line timestamps use.</summary>
    public TimeSpan Elapsed => _clock.Elapsed;

    /// <summary>When the first `tx q=` line arrived (the end of the guest's first TX job), measured from start; null before.</summary>
    public TimeSpan? FirstTxLineAt
    {
        get
        {
            long ticks = Interlocked.Read(ref _firstTxLineTicks);
            return ticks < 0 ? null : TimeSpan.FromSeconds(ticks / (double)Stopwatch.Frequency);
        }
    }

    /// <param name="backEndPid">A back end process (vhost-user) whose CPU time is sampled at the same lines as the VMM's.</param>
    public static ProbeVm Start(ProcessStartInfo info, int? backEndPid = null)
    {
        info.RedirectStandardOutput = true;
        info.RedirectStandardError = true;
        info.RedirectStandardInput = true; // -nographic must not take over the benchmark's terminal
        info.UseShellExecute = false;
        var process = new Process { StartInfo = info, EnableRaisingEvents = true };
        var vm = new ProbeVm(process, backEndPid);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                vm._lines.CompleteAdding();
                return;
            }
            vm.SampleCpuAt(e.Data);
            vm._lines.Add(e.Data);
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null) lock (vm._stderr) vm._stderr.AppendLine(e.Data);
        };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return vm;
    }

    /// <summary>
    /// Takes serial lines until <paramref name="until"/> holds (true), the output ends or the
    /// timeout passes (false). Every line goes through the parsers first.
    /// </summary>
    public bool WaitFor(Func<ProbeVm, bool> until, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (!until(this))
        {
            TimeSpan left = timeout - deadline.Elapsed;
            if (left <= TimeSpan.Zero) return false;
            try
            {
                if (!_lines.TryTake(out string? line, left)) return false;
                Accept(line);
            }
            catch (InvalidOperationException)
            {
                return until(this); // the output ended: the VMM exited
            }
        }
        return true;
    }

    /// <summary>The last few serial and stderr lines, for a failure message.</summary>
    public string Tail(int lines = 6)
    {
        var serial = _transcript.TakeLast(lines);
        var errors = Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries).TakeLast(lines);
        return $"serial: {string.Join(" | ", serial)}; stderr: {string.Join(" | ", errors)}";
    }

    /// <summary>Kills the VMM if it still runs. Idempotent and safe from a signal handler's thread.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            _process.WaitForExit(5000);
        }
        catch (InvalidOperationException)
        {
            // never started or already reaped
        }
        _process.Dispose();
    }

    /// <summary>
    /// Samples the VMM's CPU time as the lines that bound a measured interval arrive (on the reader
    /// thread, before the line is queued: the sample is as close to the guest's event as the serial
    /// port lets it be).
    /// </summary>
    private void SampleCpuAt(string line)
    {
        if (line.StartsWith("tx q=", StringComparison.Ordinal))
        {
            CpuSample now = ProcessCpu.Read(_process.Id);
            CpuSample? backEnd = BackEndCpu();
            if (Interlocked.Increment(ref _txLines) == 1)
            {
                CpuAtFirstTx = now;
                BackEndCpuAtFirstTx = backEnd;
                Interlocked.CompareExchange(ref _firstTxLineTicks, _clock.ElapsedTicks, -1);
            }
            CpuAtLastTx = now;
            BackEndCpuAtLastTx = backEnd;
        }
        else if (line.StartsWith("probe: ready", StringComparison.Ordinal) && CpuAtReady is null)
        {
            CpuAtReady = ProcessCpu.Read(_process.Id);
            BackEndCpuAtReady = BackEndCpu();
        }
        else if (line.StartsWith("probe: rx frames=", StringComparison.Ordinal))
        {
            CpuAtRxDone = ProcessCpu.Read(_process.Id);
            BackEndCpuAtRxDone = BackEndCpu();
        }
    }

    private CpuSample? BackEndCpu() => _backEndPid is int pid ? ProcessCpu.Read(pid) : null;

    /// <summary>The full path of <paramref name="program"/> on PATH, or null.</summary>
    public static string? FindOnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(dir => Path.Combine(dir, program)).FirstOrDefault(File.Exists);

    private void Accept(string raw)
    {
        // QEMU's -nographic console mixes terminal escapes into the first line; the protocol lines stand alone.
        string line = raw.TrimEnd('\r');
        _transcript.Add(line);
        Report.Accept(line);
        Rates.Accept(line);
    }
}
