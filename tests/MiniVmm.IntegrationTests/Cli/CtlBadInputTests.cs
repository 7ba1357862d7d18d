using MiniVmm.Control;
using MiniVmm.IntegrationTests.HostNet;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Native.Unix;

namespace MiniVmm.IntegrationTests.Cli;

/// <summary>
/// `minivmm run --api-socket` with a path that cannot be the control socket: exit 2, one line
/// naming the path, nothing on stdout, no TAP and no socket left behind, and whatever was at the
/// path untouched. `minivmm ctl` at a path that is not a VM's socket. The socket is gone after a VM
/// stopped by SIGTERM. The kernel is a tiny guest, so a value wrongly accepted shows up as a run.
/// </summary>
public sealed class CtlBadInputTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mv-ctlbad-").FullName;
    private readonly string _kernel = TinyGuestImage.WriteTemporary("", exitValue: 0);

    public void Dispose()
    {
        Directory.Delete(_dir, recursive: true);
        File.Delete(_kernel);
    }

    private MinivmmProcess.Result RunWithSocket(string tap, string socket) =>
        MinivmmProcess.Run("run", "--kernel", _kernel, "--net", $"tap={tap}", "--api-socket", socket);

    private static void AssertBadInput(MinivmmProcess.Result r, string tap, string expected)
    {
        TapTestKit.AssertRemoved(tap);
        Assert.True(r.ExitCode == 2, $"expected exit 2 (bad input); {r}");
        Assert.True(r.Stdout.Length == 0, $"expected nothing on stdout; {r}");
        Assert.Equal($"minivmm: {expected}", Assert.Single(r.StderrLines));
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void A_missing_directory()
    {
        string tap = TapTestKit.UniqueName(), socket = Path.Combine(_dir, "no/such/vm.sock");
        AssertBadInput(RunWithSocket(tap, socket), tap, $"--api-socket {socket}: no such directory");
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void A_regular_file_is_left_as_it_was()
    {
        string tap = TapTestKit.UniqueName(), socket = Path.Combine(_dir, "vm.sock");
        File.WriteAllText(socket, "keep me");
        AssertBadInput(RunWithSocket(tap, socket), tap, $"--api-socket {socket}: exists and is not a socket");
        Assert.Equal("keep me", File.ReadAllText(socket));
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void A_directory()
    {
        string tap = TapTestKit.UniqueName();
        AssertBadInput(RunWithSocket(tap, _dir), tap, $"--api-socket {_dir}: is a directory");
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void A_path_too_long_for_a_socket()
    {
        string tap = TapTestKit.UniqueName(), socket = Path.Combine(_dir, new string('s', 110));
        int bytes = System.Text.Encoding.UTF8.GetByteCount(socket);
        AssertBadInput(RunWithSocket(tap, socket), tap, $"--api-socket {socket}: {bytes} bytes, a socket path has at most 107");
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void An_empty_path()
    {
        string tap = TapTestKit.UniqueName();
        AssertBadInput(RunWithSocket(tap, ""), tap, "--api-socket '': not a file name");
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void A_socket_another_vm_listens_on_keeps_working()
    {
        string tap = TapTestKit.UniqueName(), socket = Path.Combine(_dir, "vm.sock");
        using ControlSocket other = ControlSocket.Listen(socket);
        AssertBadInput(RunWithSocket(tap, socket), tap, $"--api-socket {socket}: another process is listening on it");
        Assert.True(FileStatus.OfPath(socket)?.IsSocket);
        using var still = UnixStreamSocket.Connect(socket); // the other one still accepts
    }

    [HostFact(HostNeeds.Kvm)]
    public void Without_a_network_card()
    {
        string socket = Path.Combine(_dir, "vm.sock");
        var r = MinivmmProcess.Run("run", "--kernel", _kernel, "--api-socket", socket);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Equal($"minivmm: --api-socket {socket}: needs --net (the control socket reports on the network card)", Assert.Single(r.StderrLines));
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void Ctl_at_a_path_that_is_no_vms_socket()
    {
        string file = Path.Combine(_dir, "plain");
        File.WriteAllText(file, "");
        var notSocket = MinivmmProcess.Run("ctl", file, "info");
        Assert.True(notSocket.ExitCode == 2, notSocket.ToString());
        Assert.Equal($"minivmm ctl: {file}: not a socket", Assert.Single(notSocket.StderrLines));

        string dead = Path.Combine(_dir, "dead.sock");
        UnixListeningSocket.Listen(dead).Handle.Dispose(); // a socket file nobody listens on
        var refused = MinivmmProcess.Run("ctl", dead, "counters", "--json");
        Assert.True(refused.ExitCode == 1, refused.ToString());
        Assert.Equal("", refused.Stdout);
        Assert.Equal($"minivmm ctl: {dead}: nobody is listening (the VM has exited?)", Assert.Single(refused.StderrLines));
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void The_socket_is_removed_when_sigterm_stops_the_vm()
    {
        string tap = TapTestKit.UniqueName(), socket = Path.Combine(_dir, "vm.sock");
        string halting = TinyGuestImage.WriteTemporary("up\n", exitValue: null); // halts forever
        try
        {
            using var vm = new RunningMinivmm("run", "--kernel", halting, "--net", $"tap={tap}", "--api-socket", socket);
            vm.WaitForLine(l => l == "up", TimeSpan.FromSeconds(30), "the guest's first line");
            var info = MinivmmProcess.Run("ctl", socket, "info", "--json");
            Assert.True(info.ExitCode == 0, info.ToString());
            using (var kill = System.Diagnostics.Process.Start("kill", ["-TERM", vm.Id.ToString()])) kill.WaitForExit();
            Assert.Equal(143, vm.WaitForExit(TimeSpan.FromSeconds(10)));
            Assert.Null(FileStatus.OfPath(socket));
            TapTestKit.AssertRemoved(tap);
        }
        finally
        {
            File.Delete(halting);
        }
    }
}
