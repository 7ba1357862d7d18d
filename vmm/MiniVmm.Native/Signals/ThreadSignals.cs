using System.Runtime.InteropServices;

namespace MiniVmm.Native.Signals;

/// <summary>
/// Thread-directed signals (glibc >= 2.30 wrappers), used to kick a vCPU thread out of KVM_RUN.
/// </summary>
public static partial class ThreadSignals
{
    /// <summary>The kernel thread id of the calling thread.</summary>
    [LibraryImport("libc", EntryPoint = "gettid")]
    public static partial int CurrentThreadId();

    [LibraryImport("libc", EntryPoint = "getpid")]
    public static partial int ProcessId();

    [LibraryImport("libc", EntryPoint = "tgkill", SetLastError = true)]
    private static partial int TgKill(int tgid, int tid, int signal);

    /// <summary>Sends <paramref name="signal"/> to one thread of this process; false if it is gone.</summary>
    public static bool Send(int threadId, int signal) => TgKill(ProcessId(), threadId, signal) == 0;
}
