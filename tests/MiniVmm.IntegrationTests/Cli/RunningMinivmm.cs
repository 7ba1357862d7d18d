using System.Diagnostics;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Testing.Uml;

namespace MiniVmm.IntegrationTests.Cli;

/// <summary>
/// out/bin/minivmm (the NativeAOT product) running in the background, its stdout (the guest's
/// serial console) and stderr collected line by line, so a test can wait for a line (bounded) while
/// the VM runs. Dispose kills it if it still runs.
/// </summary>
internal sealed class RunningMinivmm : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _stdout = [], _stderr = [];
    private readonly object _lock = new();
    private bool _stdoutClosed;

    public RunningMinivmm(params string[] args)
        : this(RepoPaths.Cli, args)
    {
    }

    private RunningMinivmm(string file, string[] args)
    {
        Assert.True(File.Exists(RepoPaths.Cli), $"the CLI is missing at {RepoPaths.Cli}: run ./build.sh first");
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in args) start.ArgumentList.Add(a);
        foreach (string v in start.Environment.Keys.Where(k => k.StartsWith("MINIVMM_", StringComparison.Ordinal)).ToList()) start.Environment.Remove(v);
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Add(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Add(_stderr, e.Data);
        _process.Start();
        _process.StandardInput.Close();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>
    /// minivmm inside <paramref name="ns"/> (through `ip netns exec`, which execs it: <see cref="Id"/>
    /// is minivmm's own pid, so a signal sent to it reaches minivmm).
    /// </summary>
    public static RunningMinivmm InNamespace(NetworkNamespace ns, params string[] args)
    {
        (string file, string[] wrapped) = ns.Wrap(RepoPaths.Cli, args);
        return new RunningMinivmm(file, wrapped);
    }

    public int Id => _process.Id;

    public IReadOnlyList<string> Stdout
    {
        get { lock (_lock) return [.. _stdout]; }
    }

    public IReadOnlyList<string> Stderr
    {
        get { lock (_lock) return [.. _stderr]; }
    }

    /// <summary>The first stdout line that matches, waiting for it at most <paramref name="timeout"/>; fails the test with what came otherwise.</summary>
    public string WaitForLine(Func<string, bool> match, TimeSpan timeout, string what) => WaitFor(_stdout, match, timeout, what);

    /// <summary>The first stderr line (minivmm's own log) that matches, waiting for it at most <paramref name="timeout"/>.</summary>
    public string WaitForLogLine(Func<string, bool> match, TimeSpan timeout, string what) => WaitFor(_stderr, match, timeout, what);

    private string WaitFor(List<string> lines, Func<string, bool> match, TimeSpan timeout, string what)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_lock)
        {
            while (true)
            {
                if (lines.FirstOrDefault(match) is string line) return line;
                long left = deadline - Environment.TickCount64;
                if (left <= 0 || _process.HasExited && _stdoutClosed)
                {
                    Assert.Fail($"no {what} within {timeout.TotalSeconds} s\nstdout:\n{string.Join('\n', _stdout.TakeLast(30))}\nstderr:\n{string.Join('\n', _stderr)}");
                }
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(Math.Min(left, 200)));
            }
        }
    }

    /// <summary>Waits for the process to end (bounded) and returns its exit status.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        Assert.True(_process.WaitForExit(timeout), $"minivmm did not exit within {timeout.TotalSeconds} s");
        _process.WaitForExit(); // and for the output to be read to its end
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }
        _process.Dispose();
    }

    private void Add(List<string> lines, string? line)
    {
        lock (_lock)
        {
            if (line is null)
            {
                if (lines == _stdout) _stdoutClosed = true;
            }
            else
            {
                lines.Add(line.TrimEnd('\r'));
            }
            Monitor.PulseAll(_lock);
        }
    }
}
