using System.Diagnostics;
using MiniVmm.IntegrationTests.HostNet;
using MiniVmm.IntegrationTests.Infrastructure;

namespace MiniVmm.IntegrationTests.Cli;

/// <summary>
/// `minivmm vhost-user-net` as a process: bad input is one line, exit 2 and nothing left behind; a
/// running back end listens on a 0600 socket, and SIGTERM ends it with 143, leaving no socket file,
/// no TAP and no BPF program of its own.
/// </summary>
public sealed class VhostUserNetCliTests
{
    private static string SocketPath() => Path.Combine(Path.GetTempPath(), $"mvt-{Guid.NewGuid():N}.sock");

    private static void AssertBadInput(MinivmmProcess.Result r, string? tap, params string[] fragments)
    {
        if (tap is not null) TapTestKit.AssertRemoved(tap);
        Assert.True(r.ExitCode == 2, $"expected exit 2 (bad input); {r}");
        string line = Assert.Single(r.StderrLines);
        Assert.StartsWith("minivmm: ", line);
        foreach (string f in fragments) Assert.Contains(f, line);
    }

    [Fact]
    public void Without_a_socket_or_a_network_it_says_which_is_missing()
    {
        AssertBadInput(MinivmmProcess.Run("vhost-user-net", "--net", "tap=mvtx0"), null, "--socket");
        AssertBadInput(MinivmmProcess.Run("vhost-user-net", "--socket", SocketPath()), null, "--net");
    }

    [HostFact(HostNeeds.Tap)]
    public void A_socket_path_that_exists_or_whose_directory_does_not_is_refused_before_any_tap()
    {
        string tap = TapTestKit.UniqueName();
        string existing = Path.GetTempFileName();
        try
        {
            AssertBadInput(MinivmmProcess.Run("vhost-user-net", "--socket", existing, "--net", $"tap={tap}"), tap, "already exists");
            Assert.True(File.Exists(existing), "the existing file was touched");
        }
        finally
        {
            File.Delete(existing);
        }
        AssertBadInput(MinivmmProcess.Run("vhost-user-net", "--socket", "/nonexistent-dir/x.sock", "--net", $"tap={tap}"), tap, "no directory");
    }

    [Theory]
    [InlineData("0800", "octal")]
    [InlineData("rw", "octal")]
    [InlineData("07777", "octal")]
    public void A_bad_socket_mode_is_refused(string mode, string fragment) =>
        AssertBadInput(MinivmmProcess.Run("vhost-user-net", "--socket", SocketPath(), "--net", "tap=mvtx1", "--socket-mode", mode), null, fragment);

    [HostFact(HostNeeds.Tap)]
    public void A_bad_net_value_is_refused_with_its_key() =>
        AssertBadInput(MinivmmProcess.Run("vhost-user-net", "--socket", SocketPath(), "--net", "tap=mvtx2,queues=99"), "mvtx2", "queues=99");

    [HostFact(HostNeeds.Tap)]
    public void An_api_socket_that_cannot_be_bound_is_refused_before_the_tap_and_the_vhost_user_socket()
    {
        string tap = TapTestKit.UniqueName(), socket = SocketPath();
        AssertBadInput(MinivmmProcess.Run("vhost-user-net", "--socket", socket, "--net", $"tap={tap}", "--api-socket", "/nonexistent-dir/x.ctl"), tap, "--api-socket");
        Assert.False(File.Exists(socket), "the vhost-user socket was created");
    }

    [HostFact(HostNeeds.Tap | HostNeeds.Bpf)]
    public void Sigterm_ends_a_serving_back_end_with_143_and_leaves_nothing_behind()
    {
        string tap = TapTestKit.UniqueName(), socket = SocketPath();
        var start = new ProcessStartInfo(RepoPaths.Cli) { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (string a in new[] { "vhost-user-net", "--socket", socket, "--net", $"tap={tap},queues=2" }) start.ArgumentList.Add(a);
        using Process p = Process.Start(start)!;
        var lines = new List<string>();
        string? line;
        while ((line = p.StandardError.ReadLine()) is not null)
        {
            lines.Add(line);
            if (line.Contains("listening on")) break;
        }
        Assert.True(line is not null, $"it never listened:\n{string.Join("\n", lines)}");
        Assert.Contains(lines, l => l.Contains($"tap {tap}, 2 queue pairs; steering: "));
        Assert.True(File.Exists(socket));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(socket));
        Assert.True(TapTestKit.InterfaceExists(tap));

        Process.Start("kill", ["-TERM", p.Id.ToString()])!.WaitForExit();
        Assert.True(p.WaitForExit(10_000), "vhost-user-net did not stop within 10 s of SIGTERM");
        Assert.Equal(143, p.ExitCode);
        Assert.False(File.Exists(socket), "the socket file was left behind");
        TapTestKit.AssertRemoved(tap);
    }
}
