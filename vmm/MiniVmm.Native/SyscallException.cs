namespace MiniVmm.Native;

/// <summary>
/// The one exception type for a failed system call. The message names the call and the
/// errno, e.g. <c>KVM_CREATE_VCPU: EINVAL (22)</c>, so a log line says what went wrong.
/// </summary>
public sealed class SyscallException : Exception
{
    public SyscallException(string call, int errno)
        : base($"{call}: {MiniVmm.Native.Errno.Name(errno)} ({errno})")
    {
        Call = call;
        Errno = errno;
    }

    /// <summary>The call that failed, as named by the caller (an ioctl name or a libc function).</summary>
    public string Call { get; }

    /// <summary>The errno value the call returned.</summary>
    public int Errno { get; }

    /// <summary>Throws for the current thread's errno.</summary>
    public static SyscallException FromErrno(string call) => new(call, Tmds.Linux.LibC.errno);
}
