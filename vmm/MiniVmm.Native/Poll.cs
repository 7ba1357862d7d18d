using System.Runtime.InteropServices;
using Tmds.Linux;

namespace MiniVmm.Native;

/// <summary>
/// poll(2) with its errno. Tmds.LibC 0.5.0 declares its poll without SetLastError while its
/// errno reads the runtime's saved last error, so after a poll the errno it reports belongs to
/// some earlier call (0, often): an EINTR would pass for a failure. This declaration saves it.
/// </summary>
internal static unsafe partial class Poll
{
    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    private static partial int Native(pollfd* fds, ulong count, int timeoutMs);

    /// <summary>poll(2) retried on EINTR: the number of ready entries, or 0 at the timeout (-1 for none).</summary>
    public static int Wait(pollfd* fds, int count, int timeoutMs, string call)
    {
        long deadline = timeoutMs < 0 ? long.MaxValue : Environment.TickCount64 + timeoutMs;
        while (true)
        {
            int left = timeoutMs < 0 ? -1 : (int)Math.Max(0, deadline - Environment.TickCount64);
            int n = Native(fds, (ulong)count, left);
            if (n >= 0) return n;
            int errno = Marshal.GetLastPInvokeError();
            if (errno != Errno.EINTR) throw new SyscallException(call, errno);
        }
    }
}
