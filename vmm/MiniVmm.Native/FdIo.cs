using Tmds.Linux;

namespace MiniVmm.Native;

/// <summary>
/// read(2) and write(2) of one buffer on a non-blocking fd, retried on EINTR, for the data path:
/// no exception, the result is the byte count or -1 with the errno, so callers decide what an
/// error means (EAGAIN is "later", EINVAL on a TAP is "that packet"). The SafeHandle reference
/// held during the call keeps the fd number ours even if another thread disposes it meanwhile.
/// </summary>
public static unsafe class FdIo
{
    /// <summary>Reads up to buffer.Length bytes; returns the count (a TAP returns a packet's full length even when it was truncated) or -1.</summary>
    public static long Read(FileDescriptor fd, Span<byte> buffer, out int errno)
    {
        fixed (byte* p = buffer)
        {
            return Transfer(fd, p, buffer.Length, write: false, out errno);
        }
    }

    /// <summary>Writes buffer; returns the count or -1.</summary>
    public static long Write(FileDescriptor fd, ReadOnlySpan<byte> buffer, out int errno)
    {
        fixed (byte* p = buffer)
        {
            return Transfer(fd, p, buffer.Length, write: true, out errno);
        }
    }

    /// <summary>Sets O_NONBLOCK on a descriptor number we do not own yet (fds handed in by a parent).</summary>
    public static void SetNonBlocking(int fd)
    {
        int flags = LibC.fcntl(fd, LibC.F_GETFL);
        if (flags < 0 || LibC.fcntl(fd, LibC.F_SETFL, flags | LibC.O_NONBLOCK) < 0)
        {
            throw SyscallException.FromErrno($"fcntl O_NONBLOCK fd {fd}");
        }
    }

    private static long Transfer(FileDescriptor fd, byte* p, int length, bool write, out int errno)
    {
        errno = 0;
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            long r;
            // Safe: p points at a pinned span of exactly length bytes, which the kernel reads or fills.
            do
            {
                r = write ? LibC.write(fd.Fd, p, length) : LibC.read(fd.Fd, p, length);
            }
            while (r < 0 && (errno = LibC.errno) == Errno.EINTR);
            return r;
        }
        catch (ObjectDisposedException)
        {
            errno = Errno.EBADF;
            return -1;
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }
}
