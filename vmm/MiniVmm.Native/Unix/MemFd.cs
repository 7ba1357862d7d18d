using System.Text;
using Tmds.Linux;

namespace MiniVmm.Native.Unix;

/// <summary>memfd_create(2): anonymous memory with a file descriptor, so another process can map it (shared guest RAM).</summary>
public static unsafe class MemFd
{
    /// <summary>A close-on-exec memfd of <paramref name="sizeBytes"/> zero bytes.</summary>
    public static FileDescriptor Create(string name, ulong sizeBytes)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(name + "\0");
        FileDescriptor fd;
        fixed (byte* p = bytes)
        {
            // Safe: p is a pinned NUL-terminated name.
            fd = FileDescriptor.FromResult(LibC.memfd_create(p, UnixSocketAbi.MFD_CLOEXEC), $"memfd_create {name}");
        }
        if (LibC.ftruncate(fd.Fd, (off_t)(long)sizeBytes) < 0)
        {
            var error = SyscallException.FromErrno($"ftruncate memfd {name}");
            fd.Dispose();
            throw error;
        }
        return fd;
    }
}
