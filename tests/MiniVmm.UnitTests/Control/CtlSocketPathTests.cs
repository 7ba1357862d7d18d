using MiniVmm.Control;
using MiniVmm.Control.Protocol;
using MiniVmm.Native.Unix;

namespace MiniVmm.UnitTests.Control;

/// <summary>
/// Where the control socket may be created: a path that cannot be bound, or that holds something
/// other than a dead socket, is one line naming the path, and nothing is created or removed.
/// </summary>
public sealed class CtlSocketPathTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mv-ctlpath-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathIn(string name) => Path.Combine(_dir, name);

    [Fact]
    public void A_regular_file_is_refused_and_left_as_it_was()
    {
        string path = PathIn("vm.sock");
        File.WriteAllText(path, "not a socket");
        var e = Assert.Throws<ControlSocketException>(() => ControlSocket.Listen(path));
        Assert.Equal($"--api-socket {path}: exists and is not a socket", e.Message);
        Assert.Equal("not a socket", File.ReadAllText(path));
    }

    [Fact]
    public void A_directory_is_refused()
    {
        var e = Assert.Throws<ControlSocketException>(() => ControlSocket.Listen(_dir));
        Assert.Equal($"--api-socket {_dir}: is a directory", e.Message);
        Assert.True(Directory.Exists(_dir));
    }

    [Fact]
    public void A_missing_directory_is_refused_and_nothing_is_created()
    {
        string path = PathIn("missing/vm.sock");
        var e = Assert.Throws<ControlSocketException>(() => ControlSocket.Listen(path));
        Assert.Equal($"--api-socket {path}: no such directory", e.Message);
        Assert.False(Directory.Exists(PathIn("missing")));
    }

    [Fact]
    public void A_file_where_a_directory_should_be_is_refused()
    {
        File.WriteAllText(PathIn("plain"), "");
        string path = PathIn("plain/vm.sock");
        var e = Assert.Throws<ControlSocketException>(() => ControlSocket.Listen(path));
        Assert.Contains("not a directory", e.Message);
    }

    [Fact]
    public void A_path_longer_than_a_socket_address_is_refused()
    {
        string path = PathIn(new string('s', 120));
        var e = Assert.Throws<ControlSocketException>(() => ControlSocket.Listen(path));
        Assert.StartsWith($"--api-socket {path}: ", e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void A_socket_someone_listens_on_is_refused_and_keeps_working()
    {
        string path = PathIn("vm.sock");
        using var first = ControlSocket.Listen(path);
        var e = Assert.Throws<ControlSocketException>(() => ControlSocket.Listen(path));
        Assert.Equal($"--api-socket {path}: another process is listening on it", e.Message);
        Assert.True(FileStatus.OfPath(path)?.IsSocket);
    }

    [Fact]
    public void A_dead_socket_left_by_a_killed_vmm_is_replaced()
    {
        string path = PathIn("vm.sock");
        // A socket file whose listener is gone: the descriptor closed, the file never removed (SIGKILL).
        UnixListeningSocket dead = UnixListeningSocket.Listen(path);
        dead.Handle.Dispose();
        Assert.True(FileStatus.OfPath(path)?.IsSocket);

        using var socket = ControlSocket.Listen(path);
        using var rig = new RuntimeTestRig(pairs: 1);
        socket.Start(rig.Runtime, _ => { });
        using ControlClient client = ControlClient.Connect(path);
        Assert.True(client.Ask(ControlRequest.Info, TimeSpan.FromSeconds(5)).Ok);
    }

    [Fact]
    public void A_socket_never_started_is_removed_on_dispose()
    {
        string path = PathIn("vm.sock");
        ControlSocket.Listen(path).Dispose(); // what run does when the VM cannot be built
        Assert.Empty(Directory.GetFileSystemEntries(_dir));
    }

    [Fact]
    public void The_client_tells_a_missing_path_and_a_non_socket_from_a_dead_socket()
    {
        var missing = Assert.Throws<ControlSocketException>(() => ControlClient.Connect(PathIn("none.sock")));
        Assert.True(missing.IsUsageError);
        File.WriteAllText(PathIn("file"), "");
        var notSocket = Assert.Throws<ControlSocketException>(() => ControlClient.Connect(PathIn("file")));
        Assert.True(notSocket.IsUsageError);
        Assert.EndsWith("not a socket", notSocket.Message);

        string path = PathIn("dead.sock");
        UnixListeningSocket.Listen(path).Handle.Dispose();
        var dead = Assert.Throws<ControlSocketException>(() => ControlClient.Connect(path));
        Assert.False(dead.IsUsageError); // the path is right; nobody answers there
        Assert.Contains("nobody is listening", dead.Message);
    }
}
