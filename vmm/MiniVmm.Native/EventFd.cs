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
    public unsafe ulong Drain()
    {
        ulong value = 0;
        long r;
        do { r = LibC.read(Fd, &value, sizeof(ulong)); } while (r < 0 && LibC.errno == Errno.EINTR);
        if (r < 0)
        {
            return LibC.errno == Errno.EAGAIN ? 0UL : throw SyscallException.FromErrno("eventfd read");
        }
        return value;
    }

    public void Dispose() => Handle.Dispose();
}
