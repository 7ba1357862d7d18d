using System.Runtime.InteropServices;
using Tmds.Linux;

namespace MiniVmm.Native;

/// <summary>
/// An owned Linux file descriptor. Closing is the SafeHandle's job, so a descriptor is never
/// leaked on an error path and never closed twice.
/// </summary>
public sealed class FileDescriptor : SafeHandle
{
    public FileDescriptor(int fd, bool ownsHandle = true) : base(new IntPtr(-1), ownsHandle)
    {
        SetHandle(new IntPtr(fd));
    }

    public override bool IsInvalid => handle.ToInt64() < 0;

    /// <summary>The raw number, for passing to the kernel. Valid while this object is alive.</summary>
    public int Fd => (int)handle.ToInt64();

    /// <summary>Wraps a call's result, throwing <see cref="SyscallException"/> when it is negative.</summary>
    public static FileDescriptor FromResult(int fd, string call) =>
        fd < 0 ? throw SyscallException.FromErrno(call) : new FileDescriptor(fd);

    /// <summary>Opens a path with O_CLOEXEC added to <paramref name="flags"/>.</summary>
    public static unsafe FileDescriptor Open(string path, int flags)
    {
        byte[] bytes = System.Text.Encoding.UTF8.GetBytes(path + "\0");
        fixed (byte* p = bytes)
        {
            int fd = LibC.open(p, flags | LibC.O_CLOEXEC, 0);
            return fd < 0 ? throw SyscallException.FromErrno($"open {path}") : new FileDescriptor(fd);
        }
    }

    protected override bool ReleaseHandle() => LibC.close(Fd) == 0;
}
