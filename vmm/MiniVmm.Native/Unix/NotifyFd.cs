using Tmds.Linux;

namespace MiniVmm.Native.Unix;

/// <summary>
/// Signals a peer through a descriptor by writing exactly 8 bytes (a u64 1): the eventfd
/// protocol, which is also what UML expects on its call fds, which are socketpair ends rather
/// than eventfds. On a socket the write never blocks (MSG_DONTWAIT): a full buffer already
/// holds an undelivered signal, so dropping this one loses nothing.
/// </summary>
public sealed unsafe class NotifyFd : IDisposable
{
    private readonly bool _isSocket;

    /// <summary>Takes ownership of <paramref name="handle"/>.</summary>
    public NotifyFd(FileDescriptor handle)
    {
        Handle = handle;
        _isSocket = FileStatus.Of(handle).IsSocket;
    }

    public FileDescriptor Handle { get; }

    /// <summary>Writes the 8 bytes; false when the descriptor was closed meanwhile or the peer is gone.</summary>
    public bool Signal()
    {
        bool added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
            ulong one = 1;
            long r;
            do
            {
                // Safe: the kernel reads 8 bytes from the local.
                r = _isSocket
                    ? LibC.send(Handle.Fd, &one, sizeof(ulong), UnixSocketAbi.MSG_DONTWAIT | UnixSocketAbi.MSG_NOSIGNAL)
                    : LibC.write(Handle.Fd, &one, sizeof(ulong));
            } while (r < 0 && LibC.errno == Errno.EINTR);
            return r == sizeof(ulong) || (r < 0 && LibC.errno == Errno.EAGAIN);
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
        finally
        {
            if (added) Handle.DangerousRelease();
        }
    }

    public void Dispose() => Handle.Dispose();
}
