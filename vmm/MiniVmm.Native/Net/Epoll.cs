using Tmds.Linux;

namespace MiniVmm.Native.Net;

/// <summary>
/// An epoll instance. Registrations carry a caller-chosen token; <see cref="Wait"/> fills a
/// caller-owned span, so a worker loop allocates nothing per wake-up.
/// </summary>
public sealed unsafe class Epoll : IDisposable
{
    public Epoll()
    {
        Handle = FileDescriptor.FromResult(LibC.epoll_create1(LibC.EPOLL_CLOEXEC), "epoll_create1");
    }

    public FileDescriptor Handle { get; }

    public void Add(FileDescriptor fd, EpollEvents events, ulong token) => Control(LibC.EPOLL_CTL_ADD, fd, events, token, "EPOLL_CTL_ADD");

    public void Modify(FileDescriptor fd, EpollEvents events, ulong token) => Control(LibC.EPOLL_CTL_MOD, fd, events, token, "EPOLL_CTL_MOD");

    public void Remove(FileDescriptor fd) => Control(LibC.EPOLL_CTL_DEL, fd, EpollEvents.None, 0, "EPOLL_CTL_DEL");

    /// <summary>
    /// Waits up to <paramref name="timeoutMs"/> (-1: forever) and returns how many entries of
    /// <paramref name="events"/> were filled. An interrupted wait (EINTR) returns 0.
    /// </summary>
    public int Wait(Span<EpollEvent> events, int timeoutMs)
    {
        if (events.IsEmpty) throw new ArgumentException("need room for at least one event", nameof(events));
        bool added = false;
        try
        {
            Handle.DangerousAddRef(ref added);
            fixed (EpollEvent* p = events)
            {
                // Safe: EpollEvent has the kernel's packed 12-byte layout (pinned by a test) and the
                // kernel writes at most events.Length entries into the pinned span.
                int n = LibC.epoll_wait(Handle.Fd, (epoll_event*)p, events.Length, timeoutMs);
                if (n >= 0) return n;
                int errno = LibC.errno;
                return errno == Errno.EINTR ? 0 : throw new SyscallException("epoll_wait", errno);
            }
        }
        finally
        {
            if (added) Handle.DangerousRelease();
        }
    }

    public void Dispose() => Handle.Dispose();

    private void Control(int op, FileDescriptor fd, EpollEvents events, ulong token, string name)
    {
        var ev = new EpollEvent { Events = events, Token = token };
        bool addedSelf = false, addedFd = false;
        try
        {
            Handle.DangerousAddRef(ref addedSelf);
            fd.DangerousAddRef(ref addedFd);
            // Safe: ev is a local with the kernel layout; the kernel only reads it.
            int r = LibC.epoll_ctl(Handle.Fd, op, fd.Fd, (epoll_event*)&ev);
            if (r < 0) throw SyscallException.FromErrno(name);
        }
        finally
        {
            if (addedFd) fd.DangerousRelease();
            if (addedSelf) Handle.DangerousRelease();
        }
    }
}
