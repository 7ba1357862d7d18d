using System.Diagnostics;

namespace MiniVmm.Cli.SteerTest.Linux;

/// <summary>
/// One User-Mode Linux boot: linux.uml under the launcher, the host's / as its root file system
/// (hostfs, so the guest runs the host's ethtool and the frame observer), the console on stdout,
/// PID 1 = the rig's init, which loads virtio_net, runs <c>script</c>, prints
/// "uml-init: exit N" and powers off. Every console line goes to <c>onLine</c> as it comes.
/// Dispose kills whatever is left of it (UML runs as several host processes).
/// </summary>
public sealed class UmlProcess : IDisposable
{
    private readonly Process _process;

    private UmlProcess(Process process) => _process = process;

    public bool HasExited => _process.HasExited;

    public static UmlProcess Start(UmlTools tools, string script, IEnumerable<string> kernelArguments, Action<string> onLine, int memoryMiB = 256)
    {
        var info = new ProcessStartInfo(tools.Launcher)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (tools.Kernel != UmlTools.DefaultKernel)
        {
            info.ArgumentList.Add("--kernel");
            info.ArgumentList.Add(tools.Kernel);
        }
        foreach (string a in new[]
                 {
                     $"mem={memoryMiB}M", "root=/dev/root", "rootfstype=hostfs", "rootflags=/", "rw",
                     $"init={tools.Init}", $"uml_test={script}", "con=null", "con0=null,fd:1",
                 }.Concat(kernelArguments))
        {
            info.ArgumentList.Add(a);
        }
        Process process = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {tools.Launcher}");
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) onLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) onLine(e.Data); };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        // UML's console reads nothing from us; a closed stdin keeps it from waiting on a terminal.
        process.StandardInput.Close();
        return new UmlProcess(process);
    }

    /// <summary>Waits for the kernel to power off; false if it is still running after <paramref name="timeout"/>.</summary>
    public bool WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout)) return false;
        _process.WaitForExit(); // and for the last console lines
        return true;
    }

    /// <summary>Kills the guest (all of UML's host processes) without waiting; any thread may call it.</summary>
    public void Kill()
    {
        try
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It had already gone.
        }
    }

    public void Dispose()
    {
        Kill();
        try
        {
            _process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // It had already gone.
        }
        _process.Dispose();
    }
}
