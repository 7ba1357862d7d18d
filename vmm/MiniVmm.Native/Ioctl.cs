using Tmds.Linux;

namespace MiniVmm.Native;

/// <summary>
/// ioctl request encoding (asm-generic/ioctl.h) and checked invocation. Every ioctl the VMM issues
/// goes through <see cref="Invoke(FileDescriptor, uint, string)"/> and friends, which turn a failure
/// into a <see cref="SyscallException"/> that names the request.
/// </summary>
public static class Ioctl
{
    private const int NrBits = 8, TypeBits = 8, SizeBits = 14;
    private const int NrShift = 0, TypeShift = NrShift + NrBits, SizeShift = TypeShift + TypeBits, DirShift = SizeShift + SizeBits;
    private const uint None = 0, Write = 1, Read = 2;

    public static uint Encode(uint dir, uint type, uint nr, uint size) =>
        (dir << DirShift) | (type << TypeShift) | (nr << NrShift) | (size << SizeShift);

    public static uint IO(uint type, uint nr) => Encode(None, type, nr, 0);
    public static uint IOR(uint type, uint nr, uint size) => Encode(Read, type, nr, size);
    public static uint IOW(uint type, uint nr, uint size) => Encode(Write, type, nr, size);
    public static uint IOWR(uint type, uint nr, uint size) => Encode(Read | Write, type, nr, size);

    /// <summary>ioctl with an integer (or no) argument; returns the non-negative result.</summary>
    public static int Invoke(FileDescriptor fd, uint request, string name, long arg = 0)
    {
        int r = TryInvoke(fd, request, arg, out int errno);
        return r < 0 ? throw new SyscallException(name, errno) : r;
    }

    /// <summary>ioctl with a pointer argument; returns the non-negative result.</summary>
    public static unsafe int Invoke(FileDescriptor fd, uint request, string name, void* arg)
    {
        int r = TryInvoke(fd, request, arg, out int errno);
        return r < 0 ? throw new SyscallException(name, errno) : r;
    }

    /// <summary>ioctl with an integer argument; returns -1 and the errno instead of throwing (for probes).</summary>
    public static unsafe int TryInvoke(FileDescriptor fd, uint request, long arg, out int errno) =>
        TryInvoke(fd, request, (void*)arg, out errno);

    /// <summary>ioctl with a pointer argument; returns -1 and the errno instead of throwing (for probes).</summary>
    public static unsafe int TryInvoke(FileDescriptor fd, uint request, void* arg, out int errno)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            int r;
            do
            {
                r = LibC.ioctl(fd.Fd, unchecked((int)request), arg);
                errno = r < 0 ? LibC.errno : 0;
            } while (r < 0 && errno == Errno.EINTR);
            return r;
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }
}
