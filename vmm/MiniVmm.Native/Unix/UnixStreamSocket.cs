using Tmds.Linux;

namespace MiniVmm.Native.Unix;

/// <summary>
/// A connected AF_UNIX stream socket (unix(7)): bytes both ways, and file descriptors passed as
/// SCM_RIGHTS on sendmsg/recvmsg. Blocking; <see cref="Shutdown"/> from another thread wakes a
/// blocked receive with end of stream, which is how a control thread is stopped.
/// </summary>
public sealed unsafe class UnixStreamSocket : IDisposable
{
    public UnixStreamSocket(FileDescriptor handle)
    {
        Handle = handle;
    }

    public FileDescriptor Handle { get; }

    /// <summary>Connects to the socket at <paramref name="path"/>.</summary>
    public static UnixStreamSocket Connect(string path)
    {
        SockaddrUn address = SockaddrUn.ForPath(path);
        FileDescriptor fd = NewSocket();
        try
        {
            int r;
            // Safe: address is a local sockaddr_un of the size passed.
            do { r = LibC.connect(fd.Fd, (sockaddr*)&address, SockaddrUn.SizeBytes); } while (r < 0 && LibC.errno == Errno.EINTR);
            if (r < 0) throw SyscallException.FromErrno($"connect {path}");
            return new UnixStreamSocket(fd);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>socketpair(AF_UNIX, SOCK_STREAM): two connected ends (UML's call fds are such ends).</summary>
    public static (UnixStreamSocket First, UnixStreamSocket Second) Pair()
    {
        int* fds = stackalloc int[2];
        // Safe: socketpair writes exactly two ints into the local array.
        if (LibC.socketpair(UnixSocketAbi.AF_UNIX, UnixSocketAbi.SOCK_STREAM | UnixSocketAbi.SOCK_CLOEXEC, 0, fds) < 0)
        {
            throw SyscallException.FromErrno("socketpair");
        }
        return (new UnixStreamSocket(new FileDescriptor(fds[0])), new UnixStreamSocket(new FileDescriptor(fds[1])));
    }

    internal static FileDescriptor NewSocket() =>
        FileDescriptor.FromResult(LibC.socket(UnixSocketAbi.AF_UNIX, UnixSocketAbi.SOCK_STREAM | UnixSocketAbi.SOCK_CLOEXEC, 0), "socket AF_UNIX");

    /// <summary>
    /// Sends all of <paramref name="data"/>, with <paramref name="fds"/> (at most SCM_MAX_FD,
    /// 253; more than a receiver here takes, so tests can play a hostile peer) as SCM_RIGHTS on
    /// its first byte. With
    /// <paramref name="dontWait"/> it never blocks and returns false when the socket buffer is
    /// full before the first byte left (nothing was sent then).
    /// </summary>
    public bool Send(ReadOnlySpan<byte> data, ReadOnlySpan<FileDescriptor> fds = default, bool dontWait = false)
    {
        if (data.IsEmpty) throw new ArgumentException("a message has at least one byte to carry its descriptors", nameof(data));
        if (fds.Length > UnixSocketAbi.ScmMaxFd) throw new ArgumentException($"at most {UnixSocketAbi.ScmMaxFd} descriptors per message", nameof(fds));
        int flags = UnixSocketAbi.MSG_NOSIGNAL | (dontWait ? UnixSocketAbi.MSG_DONTWAIT : 0);
        int controlBytes = fds.IsEmpty ? 0 : UnixSocketAbi.CmsgSpace(fds.Length * sizeof(int));
        byte* control = stackalloc byte[UnixSocketAbi.CmsgSpace(UnixSocketAbi.ScmMaxFd * sizeof(int))];
        var held = new bool[fds.Length];
        try
        {
            if (!fds.IsEmpty)
            {
                new Span<byte>(control, controlBytes).Clear();
                var header = (CmsgHdr*)control;
                header->Length = (ulong)UnixSocketAbi.CmsgLen(fds.Length * sizeof(int));
                header->Level = UnixSocketAbi.SOL_SOCKET;
                header->Type = UnixSocketAbi.SCM_RIGHTS;
                int* numbers = (int*)(control + UnixSocketAbi.CmsgLen(0));
                for (int i = 0; i < fds.Length; i++)
                {
                    fds[i].DangerousAddRef(ref held[i]);
                    numbers[i] = fds[i].Fd;
                }
            }
            int sent = 0;
            fixed (byte* p = data)
            {
                while (sent < data.Length)
                {
                    var iov = new IoVec { Base = p + sent, Length = (ulong)(data.Length - sent) };
                    var message = new MsgHdr { Iov = &iov, IovLength = 1 };
                    if (sent == 0 && controlBytes > 0)
                    {
                        message.Control = control;
                        message.ControlLength = (ulong)controlBytes;
                    }
                    // Safe: message, iov and control are locals or pinned, of the lengths given.
                    long r = LibC.sendmsg(Handle.Fd, (msghdr*)&message, flags);
                    if (r < 0)
                    {
                        int errno = LibC.errno;
                        if (errno == Errno.EINTR) continue;
                        if (errno == Errno.EAGAIN && dontWait && sent == 0) return false;
                        throw new SyscallException("sendmsg AF_UNIX", errno);
                    }
                    sent += (int)r;
                }
            }
            return true;
        }
        finally
        {
            for (int i = 0; i < held.Length; i++) if (held[i]) fds[i].DangerousRelease();
        }
    }

    /// <summary>
    /// One recvmsg(2) into <paramref name="buffer"/>: returns how many bytes arrived (0 at end of
    /// stream, also after <see cref="Shutdown"/>). Every descriptor that came with them is wrapped
    /// in a <see cref="FileDescriptor"/> (close-on-exec) and appended to <paramref name="fds"/>
    /// before this returns, so none can leak; the caller owns them.
    /// </summary>
    public UnixReceiveResult Receive(Span<byte> buffer, List<FileDescriptor> fds)
    {
        if (buffer.IsEmpty) throw new ArgumentException("need room for at least one byte", nameof(buffer));
        int controlBytes = UnixSocketAbi.CmsgSpace(UnixSocketAbi.MaxFdsPerMessage * sizeof(int));
        byte* control = stackalloc byte[controlBytes];
        fixed (byte* p = buffer)
        {
            while (true)
            {
                new Span<byte>(control, controlBytes).Clear();
                var iov = new IoVec { Base = p, Length = (ulong)buffer.Length };
                var message = new MsgHdr { Iov = &iov, IovLength = 1, Control = control, ControlLength = (ulong)controlBytes };
                // Safe: the kernel writes at most buffer.Length bytes into the pinned span and at most
                // controlBytes into the local control buffer, and updates the local message.
                long r = LibC.recvmsg(Handle.Fd, (msghdr*)&message, UnixSocketAbi.MSG_CMSG_CLOEXEC);
                if (r < 0)
                {
                    int errno = LibC.errno;
                    if (errno == Errno.EINTR) continue;
                    throw new SyscallException("recvmsg AF_UNIX", errno);
                }
                CollectDescriptors(control, (int)Math.Min(message.ControlLength, (ulong)controlBytes), fds);
                return new UnixReceiveResult((int)r, (message.Flags & UnixSocketAbi.MSG_CTRUNC) != 0);
            }
        }
    }

    /// <summary>Waits up to <paramref name="timeout"/> for bytes or end of stream to read; false on timeout.</summary>
    public bool WaitReadable(TimeSpan timeout)
    {
        var pfd = new pollfd { fd = Handle.Fd, events = (short)LibC.POLLIN };
        // Safe: one local pollfd.
        return Poll.Wait(&pfd, 1, (int)Math.Min(int.MaxValue, timeout.TotalMilliseconds), "poll") > 0;
    }

    /// <summary>shutdown(SHUT_RDWR): a receive blocked in another thread returns end of stream.</summary>
    public void Shutdown()
    {
        bool added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
            LibC.shutdown(Handle.Fd, UnixSocketAbi.SHUT_RDWR); // ENOTCONN after the peer left: nothing to wake
        }
        catch (ObjectDisposedException)
        {
            // Already closed: nobody can be blocked on it.
        }
        finally
        {
            if (added) Handle.DangerousRelease();
        }
    }

    public void Dispose() => Handle.Dispose();

    // Walks the control messages the kernel filled (CMSG_FIRSTHDR/CMSG_NXTHDR by hand, bounded by
    // the length it reported) and wraps every SCM_RIGHTS descriptor at once.
    private static void CollectDescriptors(byte* control, int length, List<FileDescriptor> fds)
    {
        int offset = 0;
        while (offset + CmsgHdr.SizeBytes <= length)
        {
            var header = (CmsgHdr*)(control + offset);
            if (header->Length < (ulong)CmsgHdr.SizeBytes || header->Length > (ulong)(length - offset)) break;
            if (header->Level == UnixSocketAbi.SOL_SOCKET && header->Type == UnixSocketAbi.SCM_RIGHTS)
            {
                int count = ((int)header->Length - UnixSocketAbi.CmsgLen(0)) / sizeof(int);
                int* numbers = (int*)(control + offset + UnixSocketAbi.CmsgLen(0));
                for (int i = 0; i < count; i++) fds.Add(new FileDescriptor(numbers[i]));
            }
            offset += UnixSocketAbi.CmsgAlign((int)header->Length);
        }
    }
}
