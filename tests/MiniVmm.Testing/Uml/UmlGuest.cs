using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.RegularExpressions;

namespace MiniVmm.Testing.Uml;

/// <summary>
/// One User-Mode Linux run: linux.uml under uml-launch with the host's / as root (hostfs), PID 1
/// = guest-images/uml/init, which loads virtio_net, runs <see cref="UmlGuestOptions.Script"/>
/// and powers off. Console lines are collected as they come, so a test can wait for "obs ready"
/// before it sends frames. A whole run takes a few seconds here; keep the number of boots small.
/// </summary>
public sealed class UmlGuest : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = [];
    private readonly List<string> _all = [];
    private readonly string _scriptPath;

    private UmlGuest(Process process, string scriptPath)
    {
        _process = process;
        _scriptPath = scriptPath;
    }

    /// <summary>Every console line so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get { lock (_all) return [.. _all]; }
    }

    public static UmlGuest Start(UmlGuestOptions options)
    {
        string script = Path.Combine(Path.GetTempPath(), $"mvt-uml-{Guid.NewGuid():N}.sh");
        File.WriteAllText(script, options.Script);
        List<string> kernelArgs =
        [
            $"mem={options.MemoryMiB}M", "root=/dev/root", "rootfstype=hostfs", "rootflags=/", "rw",
            $"init={UmlPaths.Init}", $"uml_test={script}", "con=null", "con0=null,fd:1", .. options.KernelArguments,
        ];
        (string file, string[] args) = options.Namespace is null
            ? (UmlPaths.Launcher, kernelArgs.ToArray())
            : options.Namespace.Wrap(UmlPaths.Launcher, [.. kernelArgs]);
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in args) info.ArgumentList.Add(a);
        Process process = Process.Start(info)!;
        var guest = new UmlGuest(process, script);
        process.OutputDataReceived += (_, e) => guest.Add(e.Data);
        process.ErrorDataReceived += (_, e) => guest.Add(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
        return guest;
    }

    /// <summary>Waits for a console line matching <paramref name="pattern"/>; throws TimeoutException with the console so far.</summary>
    public string WaitForLine(string pattern, TimeSpan timeout)
    {
        var regex = new Regex(pattern);
        lock (_all)
        {
            string? seen = _all.FirstOrDefault(l => regex.IsMatch(l));
            if (seen is not null) return seen;
        }
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            int left = (int)Math.Max(0, deadline - Environment.TickCount64);
            if (!_lines.TryTake(out string? line, left))
            {
                throw new TimeoutException($"no console line /{pattern}/ within {timeout.TotalSeconds} s; console:\n{string.Join('\n', Lines.TakeLast(40))}");
            }
            if (regex.IsMatch(line)) return line;
        }
    }

    /// <summary>Waits for the guest to power off and returns its script's exit status ("uml-init: exit N").</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        string line = WaitForLine(@"^uml-init: exit \d+$", timeout);
        if (!_process.WaitForExit((int)timeout.TotalMilliseconds)) throw new TimeoutException("UML did not power off");
        _process.WaitForExit(); // drains the output callbacks
        return int.Parse(line["uml-init: exit ".Length..]);
    }

    /// <summary>The observer's per-frame lines ("obs q=.. qm=.. hash=.. len=.. type=.. ... id=..").</summary>
    public IReadOnlyList<ObservedFrame> ObservedFrames() => [.. Lines.Select(ObservedFrame.TryParse).OfType<ObservedFrame>()];

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // It had already exited.
        }
        _process.Dispose();
        File.Delete(_scriptPath);
    }

    private void Add(string? line)
    {
        if (line is null) return;
        lock (_all) _all.Add(line);
        _lines.Add(line);
    }
}
