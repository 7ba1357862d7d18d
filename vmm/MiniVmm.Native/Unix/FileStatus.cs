using System.Text;
using Tmds.Linux;

namespace MiniVmm.Native.Unix;

/// <summary>What fstat(2) says about a descriptor, or lstat(2) about a path: its size and whether it is a socket.</summary>
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

    /// <summary>
    /// lstat(2) of <paramref name="path"/> (a symbolic link itself, not its target); null when
    /// nothing is there (ENOENT). Other errors (ENOTDIR, EACCES, ...) throw, naming the path.
    /// </summary>
    public static unsafe FileStatus? OfPath(string path)
    {
        byte[] name = Encoding.UTF8.GetBytes(path + "\0");
        stat st;
        fixed (byte* p = name)
        {
            // Safe: p is a pinned NUL-terminated path; lstat writes one struct stat into the local.
            if (LibC.lstat(p, &st) < 0)
            {
                if (LibC.errno == Errno.ENOENT) return null;
                throw SyscallException.FromErrno($"lstat {path}");
            }
        }
        return new FileStatus((ulong)(long)st.st_size, ((uint)st.st_mode & S_IFMT) == S_IFSOCK);
    }
}
