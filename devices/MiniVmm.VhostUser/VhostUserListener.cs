using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.VhostUser.Session;

namespace MiniVmm.VhostUser;

/// <summary>
/// Listens on a Unix socket path and serves one front end at a time: each connection gets its own
/// control thread (<c>vhost-user-ctl</c>) running a <see cref="VhostUserSession"/> over the one
/// device; after its end (EOF, a hostile message) the next connection is accepted. The socket file
/// is created with mode 0600 unless told otherwise and removed on dispose.
/// </summary>
public sealed class VhostUserListener : IDisposable
{
    private readonly UnixListeningSocket _socket;
    private readonly IVhostUserDevice _device;
    private readonly Action<string> _log;
    private readonly Thread _acceptThread;
    private readonly object _lock = new();
    private VhostUserSession? _current;
    private bool _stopping;
    private int _connections;

    private VhostUserListener(UnixListeningSocket socket, IVhostUserDevice device, Action<string> log)
    {
        _socket = socket;
        _device = device;
        _log = log;
        _acceptThread = new Thread(AcceptLoop) { Name = "vhost-user-accept", IsBackground = true };
    }

    public string Path => _socket.Path;

    /// <summary>Connections served so far, the current one included.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Raised on the accept thread when a session has ended and been cleaned up (tests wait on it).</summary>
    public event Action<VhostUserSession>? SessionEnded;

    /// <summary>Binds <paramref name="path"/> (mode <paramref name="mode"/>, 0600 by default) and starts accepting.</summary>
    public static VhostUserListener Start(string path, IVhostUserDevice device, Action<string> log, int mode = 0x180)
    {
        var listener = new VhostUserListener(UnixListeningSocket.Listen(path, mode), device, log);
        listener._acceptThread.Start();
        return listener;
    }

    /// <summary>Stops accepting, ends the current session (the device is reset), joins the threads and removes the socket file.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            if (_stopping) return;
            _stopping = true;
            _current?.Stop();
        }
        _socket.CancelAccept();
        _acceptThread.Join();
        _socket.Dispose();
    }

    private void AcceptLoop()
    {
        while (true)
        {
            UnixStreamSocket? connection;
            try
            {
                connection = _socket.Accept();
            }
            catch (SyscallException e)
            {
                _log($"vhost-user: accept failed, listener stops: {e.Message}");
                return;
            }
            if (connection is null) return;
            int n = Interlocked.Increment(ref _connections);
            var session = new VhostUserSession(connection, _device, _log);
            lock (_lock)
            {
                if (_stopping)
                {
                    session.Dispose();
                    return;
                }
                _current = session;
            }
            _log($"vhost-user: connection {n} on {Path}");
            var control = new Thread(session.Run) { Name = $"vhost-user-ctl{n}", IsBackground = true };
            control.Start();
            control.Join();
            lock (_lock) _current = null;
            session.Dispose();
            // The session's threads (its control thread, the device's workers) have ended. The runtime
            // frees an ended thread's memory only once a collection has run its finalizers, and a back
            // end serving many short front ends allocates too little to start one: without this, its
            // resident memory grew by about 95 KiB per connection (./build.sh soak vhost-user, docs/FUZZING.md).
            GC.Collect();
            _log($"vhost-user: connection {n} closed");
            SessionEnded?.Invoke(session);
        }
    }
}
