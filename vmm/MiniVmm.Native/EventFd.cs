using Tmds.Linux;

namespace MiniVmm.Native;

/// <summary>
/// An eventfd: the doorbell between threads and between KVM and the VMM (ioeventfd, irqfd).
/// </summary>
public sealed class EventFd : IDisposable
{
    public EventFd(bool nonBlocking = true)
    {
        int flags = LibC.EFD_CLOEXEC | (nonBlocking ? LibC.EFD_NONBLOCK : 0);
        Handle = FileDescriptor.FromResult(LibC.eventfd(0, flags), "eventfd");
    }

    public FileDescriptor Handle { get; }

    public int Fd => Handle.Fd;

    /// <summary>Adds one to the counter, waking a reader.</summary>
    public unsafe void Signal()
    {
        ulong one = 1;
        long r;
        do { r = LibC.write(Fd, &one, sizeof(ulong)); } while (r < 0 && LibC.errno == Errno.EINTR);
        // EAGAIN means the counter is saturated: a wake-up is already pending, which is all we want.
        if (r < 0 && LibC.errno != Errno.EAGAIN) throw SyscallException.FromErrno("eventfd write");
    }

    /// <summary>Reads and clears the counter; returns 0 when nothing was pending (non-blocking).</summary>
    public ulong Drain() => Drain(Handle);

    /// <summary>
    /// Reads and clears the counter of an eventfd someone else created (a vhost-user kick fd);
    /// returns 0 when nothing was pending on a non-blocking one. On a blocking eventfd call it
    /// only once the fd is readable (epoll said so), or it waits for the next signal.
    /// </summary>
    public static unsafe ulong Drain(FileDescriptor handle)
    {
        ulong value = 0;
        long r;
        int errno = 0;
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            do { r = LibC.read(handle.Fd, &value, sizeof(ulong)); } while (r < 0 && LibC.errno == Errno.EINTR);
            if (r < 0) errno = LibC.errno; // before DangerousRelease can touch errno
        }
        finally
        {
            if (added) handle.DangerousRelease();
        }
        if (r < 0)
        {
            return errno == Errno.EAGAIN ? 0UL : throw new SyscallException("eventfd read", errno);
        }
        return value;
    }

    public void Dispose() => Handle.Dispose();
}
