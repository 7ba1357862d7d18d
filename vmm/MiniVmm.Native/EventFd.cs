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
    public void Signal() => Signal(Handle);

    /// <summary>
    /// Adds one to any eventfd given as a plain descriptor (a kick fd, or a socketpair end that stands
    /// for one: exactly 8 bytes are written). EAGAIN means the counter is saturated: a wake-up is
    /// already pending, which is all we want.
    /// </summary>
    public static void Signal(FileDescriptor fd)
    {
        Span<byte> one = stackalloc byte[sizeof(ulong)];
        BitConverter.TryWriteBytes(one, 1UL);
        long r = FdIo.Write(fd, one, out int errno);
        if (r < 0 && errno != Errno.EAGAIN) throw new SyscallException("eventfd write", errno);
    }

    /// <summary>Reads and clears the counter; returns 0 when nothing was pending (non-blocking).</summary>
    public ulong Drain() => Drain(Handle);

    /// <summary>
    /// Drains an eventfd given as a plain descriptor (a vhost-user front end's kick fd): returns the
    /// counter, 0 when nothing was pending on a non-blocking one. UML's kick fds are blocking: call
    /// it only once epoll said the fd is readable, or it waits for the next signal.
    /// </summary>
    public static ulong Drain(FileDescriptor fd)
    {
        Span<byte> value = stackalloc byte[sizeof(ulong)];
        long r = FdIo.Read(fd, value, out int errno);
        if (r == sizeof(ulong)) return BitConverter.ToUInt64(value);
        return r < 0 && errno != Errno.EAGAIN ? throw new SyscallException("eventfd read", errno) : 0UL;
    }

    public void Dispose() => Handle.Dispose();
}
