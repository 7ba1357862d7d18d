using MiniVmm.HostNet;
using MiniVmm.Native;
using MiniVmm.Native.Unix;

namespace MiniVmm.Control;

/// <summary>
/// The control socket of a running NIC (docs/CONTROL.md): a Unix stream socket, mode 0600, that
/// answers one JSON request per line. <see cref="Listen"/> creates it (run calls it before anything
/// else, so a bad path fails before the VM exists); <see cref="Start"/> serves a
/// <see cref="NetDeviceRuntime"/> on an accept thread ("api-accept") and one thread per client
/// ("api-client"), at most <see cref="MaxClients"/> at once, so no client ever holds up a vCPU or a
/// queue worker. Dispose stops every thread and removes the socket file.
/// </summary>
public sealed class ControlSocket : IDisposable
{
    /// <summary>Clients served at once; one more gets a "busy" error and is closed.</summary>
    public const int MaxClients = 4;

    /// <summary>A client that sends no complete request for this long is closed (with a "timeout" error).</summary>
    public static readonly TimeSpan DefaultIdleTimeout = TimeSpan.FromSeconds(30);

    private readonly UnixListeningSocket _listener;
    private readonly List<ControlConnection> _connections = [];
    private readonly Lock _lock = new();
    private Thread? _acceptThread;
    private ControlRequestHandler? _handler;
    private Action<string> _log = _ => { };
    private bool _disposed;

    private ControlSocket(UnixListeningSocket listener, TimeSpan idleTimeout)
    {
        _listener = listener;
        IdleTimeout = idleTimeout;
    }

    public string Path => _listener.Path;

    /// <summary>How long a client may stay without sending a complete request.</summary>
    public TimeSpan IdleTimeout { get; }

    /// <summary>
    /// Creates the socket at <paramref name="path"/>. A socket file nobody listens on (left by a VMM
    /// that was killed) is replaced; anything else already there is refused. Throws
    /// <see cref="ControlSocketException"/> with one line; nothing is created then.
    /// </summary>
    public static ControlSocket Listen(string path, TimeSpan? idleTimeout = null)
    {
        RemoveStaleSocket(path);
        try
        {
            return new ControlSocket(UnixListeningSocket.Listen(path, mode: 0x180 /* 0600 */, backlog: MaxClients), idleTimeout ?? DefaultIdleTimeout);
        }
        catch (SyscallException e)
        {
            throw new ControlSocketException($"--api-socket {path}: {Describe(e)}");
        }
        catch (ArgumentException e)
        {
            throw new ControlSocketException($"--api-socket {path}: {e.Message}");
        }
    }

    /// <summary>Starts answering requests about <paramref name="runtime"/>; one line per link change and per failure of ours goes to <paramref name="log"/>.</summary>
    public void Start(NetDeviceRuntime runtime, Action<string>? log = null)
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_acceptThread is not null) throw new InvalidOperationException("the control socket is already serving");
            _log = log ?? (line => Console.Error.WriteLine($"minivmm: {line}"));
            _handler = new ControlRequestHandler(runtime, _log);
            _acceptThread = new Thread(AcceptLoop) { Name = "api-accept", IsBackground = true };
            _acceptThread.Start();
        }
    }

    /// <summary>Clients connected now (tests).</summary>
    public int ConnectedClients
    {
        get { lock (_lock) return _connections.Count; }
    }

    /// <summary>Stops accepting, closes every client and joins the threads, then removes the socket file.</summary>
    public void Dispose()
    {
        Thread? accept;
        List<ControlConnection> connections;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            accept = _acceptThread;
            connections = [.. _connections];
        }
        _listener.CancelAccept();
        accept?.Join();
        foreach (ControlConnection connection in connections) connection.Stop();
        _listener.Dispose();
    }

    private void AcceptLoop()
    {
        while (true)
        {
            UnixStreamSocket? client;
            try
            {
                client = _listener.Accept();
            }
            catch (SyscallException e)
            {
                // EMFILE and the like: the VM runs on without its control socket rather than spin here.
                _log($"control socket {Path}: stopped accepting: {e.Message}");
                return;
            }
            if (client is null) return;
            lock (_lock)
            {
                if (_disposed)
                {
                    client.Dispose();
                    return;
                }
                if (_connections.Count >= MaxClients)
                {
                    ControlConnection.Refuse(client, $"{MaxClients} clients are connected; try again later");
                    continue;
                }
                var connection = new ControlConnection(client, _handler!, IdleTimeout, Ended);
                _connections.Add(connection);
                connection.Start();
            }
        }
    }

    private void Ended(ControlConnection connection)
    {
        lock (_lock) _connections.Remove(connection);
    }

    /// <summary>Removes a socket file at <paramref name="path"/> that refuses connections; throws for anything else that is there.</summary>
    private static void RemoveStaleSocket(string path)
    {
        FileStatus? status;
        try
        {
            status = FileStatus.OfPath(path);
        }
        catch (SyscallException e)
        {
            throw new ControlSocketException($"--api-socket {path}: {Describe(e)}");
        }
        if (status is null) return;
        if (Directory.Exists(path)) throw new ControlSocketException($"--api-socket {path}: is a directory");
        if (!status.Value.IsSocket) throw new ControlSocketException($"--api-socket {path}: exists and is not a socket");
        try
        {
            using UnixStreamSocket live = UnixStreamSocket.Connect(path);
        }
        catch (SyscallException e) when (e.Errno == Errno.ECONNREFUSED)
        {
            File.Delete(path); // nobody listens: what a killed VMM left behind
            return;
        }
        catch (SyscallException e)
        {
            throw new ControlSocketException($"--api-socket {path}: {Describe(e)}");
        }
        throw new ControlSocketException($"--api-socket {path}: another process is listening on it");
    }

    private static string Describe(SyscallException e) => e.Errno switch
    {
        Errno.ENOENT => "no such directory",
        Errno.ENOTDIR => "a component of the path is not a directory",
        Errno.EACCES or Errno.EPERM => "permission denied",
        Errno.EROFS => "read-only file system",
        Errno.EADDRINUSE => "already exists",
        _ => e.Message,
    };
}
