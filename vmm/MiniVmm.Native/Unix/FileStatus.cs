using Tmds.Linux;

namespace MiniVmm.Native.Unix;

/// <summary>What fstat(2) says about a descriptor: its size and whether it is a socket.</summary>
public readonly record struct FileStatus(ulong SizeBytes, bool IsSocket)
{
    private const uint S_IFMT = 0xF000, S_IFSOCK = 0xC000;

    public static unsafe FileStatus Of(FileDescriptor fd)
    {
        bool added = false;
        try
        {
            fd.DangerousAddRef(ref added);
            stat st;
            // Safe: fstat writes one struct stat into the local.
            if (LibC.fstat(fd.Fd, &st) < 0) throw SyscallException.FromErrno("fstat");
            return new FileStatus((ulong)(long)st.st_size, ((uint)st.st_mode & S_IFMT) == S_IFSOCK);
        }
        finally
        {
            if (added) fd.DangerousRelease();
        }
    }
}
