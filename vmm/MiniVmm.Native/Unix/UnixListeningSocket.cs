using System.Text;
using Tmds.Linux;

namespace MiniVmm.Native.Unix;

/// <summary>
/// A listening AF_UNIX stream socket bound to a filesystem path. The socket file is given its
/// mode before listen(2), so no peer can connect while it still has the umask's mode; it is
/// removed on dispose (we created it: bind fails on an existing path).
/// </summary>
public sealed unsafe class UnixListeningSocket : IDisposable
{
    private readonly EventFd _cancel = new();
    private int _disposed;

    private UnixListeningSocket(FileDescriptor handle, string path)
    {
        Handle = handle;
        Path = path;
    }

    public FileDescriptor Handle { get; }

    public string Path { get; }

    /// <summary>Binds <paramref name="path"/> (which must not exist), chmods it to <paramref name="mode"/>, listens.</summary>
    public static UnixListeningSocket Listen(string path, int mode = 0x180 /* 0600 */, int backlog = 1)
    {
        SockaddrUn address = SockaddrUn.ForPath(path);
        FileDescriptor fd = UnixStreamSocket.NewSocket();
        bool bound = false;
        try
        {
            // Safe: address is a local sockaddr_un of the size passed.
            if (LibC.bind(fd.Fd, (sockaddr*)&address, SockaddrUn.SizeBytes) < 0) throw SyscallException.FromErrno($"bind {path}");
            bound = true;
            byte[] name = Encoding.UTF8.GetBytes(path + "\0");
            fixed (byte* p = name)
            {
                // Safe: name is a pinned NUL-terminated path.
                if (LibC.chmod(p, (mode_t)mode) < 0) throw SyscallException.FromErrno($"chmod {path}");
            }
            if (LibC.listen(fd.Fd, backlog) < 0) throw SyscallException.FromErrno($"listen {path}");
            return new UnixListeningSocket(fd, path);
        }
        catch
        {
            fd.Dispose();
            if (bound) File.Delete(path);
            throw;
        }
    }

    /// <summary>
    /// Waits for the next connection; returns null once <see cref="CancelAccept"/> was called
    /// (from any thread), then and on every later call.
    /// </summary>
    public UnixStreamSocket? Accept()
    {
        pollfd* fds = stackalloc pollfd[2];
        while (true)
        {
            fds[0] = new pollfd { fd = Handle.Fd, events = (short)LibC.POLLIN };
            fds[1] = new pollfd { fd = _cancel.Fd, events = (short)LibC.POLLIN };
            // Safe: two local pollfds.
            Poll.Wait(fds, 2, -1, "poll accept");
            if ((fds[1].revents & (short)LibC.POLLIN) != 0) return null;
            if ((fds[0].revents & (short)LibC.POLLIN) == 0) continue;
            int fd = LibC.accept4(Handle.Fd, null, null, UnixSocketAbi.SOCK_CLOEXEC);
            if (fd >= 0) return new UnixStreamSocket(new FileDescriptor(fd));
            int errno = LibC.errno;
            // The peer may give up between poll and accept; that is not our failure.
            if (errno is Errno.EINTR or Errno.EAGAIN or Errno.ECONNABORTED) continue;
            throw new SyscallException("accept4", errno);
        }
    }

    /// <summary>Makes a blocked and every later <see cref="Accept"/> return null.</summary>
    public void CancelAccept() => _cancel.Signal();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        Handle.Dispose();
        _cancel.Dispose();
        try { File.Delete(Path); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }
}
