using System.Diagnostics;

namespace MiniVmm.IntegrationTests.EndToEnd;

/// <summary>
/// The probe guest under Debian's qemu-system-x86_64 7.2 whose NIC is vhost-user on a back end's
/// socket, its serial lines (stdout) collected so a test can wait for one (bounded). Dispose kills
/// QEMU if it still runs. The command line, found by trying on these machines (docs/VHOST-USER.md,
/// "QEMU as the front end"):
/// <code>
/// qemu-system-x86_64 -enable-kvm -cpu host,-arch-capabilities -m 256 -nographic -no-reboot
///   -object memory-backend-memfd,id=mem,size=256M,share=on -numa node,memdev=mem
///   -kernel probe.elf -append ARGS -device isa-debug-exit,iobase=0x501,iosize=4
///   -chardev socket,id=c0,path=SOCKET -netdev vhost-user,id=n0,chardev=c0,queues=4
///   -device virtio-net-pci,netdev=n0,mq=on,vectors=10,romfile=
/// </code>
/// </summary>
internal sealed class QemuVhostUserProbe : IDisposable
{
    public const string Binary = "/usr/bin/qemu-system-x86_64";

    private readonly Process _process;
    private readonly List<string> _stdout = [], _stderr = [];
    private readonly object _lock = new();
    private bool _stdoutClosed;

    public QemuVhostUserProbe(string socket, int queues, string probeArgs)
    {
        var start = new ProcessStartInfo(Binary) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in new[]
        {
            // -cpu host alone dies on PVM hosts setting MSR 0x10a.
            "-enable-kvm", "-cpu", "host,-arch-capabilities", "-m", "256", "-nographic", "-no-reboot",
            // vhost-user needs guest RAM the back end can map: a shared memfd (QEMU sends its fd in SET_MEM_TABLE).
            "-object", "memory-backend-memfd,id=mem,size=256M,share=on", "-numa", "node,memdev=mem",
            "-kernel", SteerTestFixture.ProbePath, "-append", probeArgs,
            "-device", "isa-debug-exit,iobase=0x501,iosize=4",
            "-chardev", $"socket,id=c0,path={socket}",
            "-netdev", $"vhost-user,id=n0,chardev=c0,queues={queues}",
            // vectors: one per ring, the control queue's and the config vector; romfile= skips the emulated iPXE ROM.
            "-device", $"virtio-net-pci,netdev=n0,mq=on,vectors={2 * queues + 2},romfile=",
        })
        {
            start.ArgumentList.Add(a);
        }
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Add(_stdout, e.Data);
        _process.ErrorDataReceived += (_, e) => Add(_stderr, e.Data);
        _process.Start();
        _process.StandardInput.Close(); // -nographic must not read the test's terminal
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public IReadOnlyList<string> Stdout
    {
        get { lock (_lock) return [.. _stdout]; }
    }

    public IReadOnlyList<string> Stderr
    {
        get { lock (_lock) return [.. _stderr]; }
    }

    /// <summary>The first serial line that matches, waiting for it at most <paramref name="timeout"/>; fails the test with what came otherwise.</summary>
    public string WaitForLine(Func<string, bool> match, TimeSpan timeout, string what)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        lock (_lock)
        {
            while (true)
            {
                if (_stdout.FirstOrDefault(match) is string line) return line;
                long left = deadline - Environment.TickCount64;
                if (left <= 0 || _stdoutClosed) Assert.Fail($"no {what} within {timeout.TotalSeconds} s\n{this}");
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(Math.Min(left, 200)));
            }
        }
    }

    /// <summary>Waits for QEMU to end (bounded) and returns its status: (probe exit &lt;&lt; 1) | 1 through isa-debug-exit.</summary>
    public int WaitForExit(TimeSpan timeout)
    {
        Assert.True(_process.WaitForExit(timeout), $"QEMU did not exit within {timeout.TotalSeconds} s\n{this}");
        _process.WaitForExit(); // and for the output to be read to its end
        return _process.ExitCode;
    }

    public override string ToString()
    {
        lock (_lock) return $"serial:\n{string.Join('\n', _stdout.TakeLast(40))}\nqemu stderr:\n{string.Join('\n', _stderr)}";
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
