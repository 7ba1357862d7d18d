using System.Runtime.InteropServices;
using MiniVmm.Native.Bpf;

namespace MiniVmm.Bpf;

/// <summary>
/// Where libbpf's own log goes (libbpf_set_print). Silent until <see cref="RouteTo"/> is given a
/// sink, so libbpf never writes to our stderr behind the CLI's back.
/// </summary>
public static unsafe class LibBpfLog
{
    private static volatile Action<LibBpfLogLevel, string>? s_sink;
    private static int s_installed;

    /// <summary>Sends libbpf's messages to <paramref name="sink"/>; null silences them.</summary>
    public static void RouteTo(Action<LibBpfLogLevel, string>? sink)
    {
        s_sink = sink;
        EnsureInstalled();
    }

    internal static void EnsureInstalled()
    {
        if (Interlocked.Exchange(ref s_installed, 1) == 0)
        {
            delegate* unmanaged<int, byte*, IntPtr, int> print = &Print;
            LibBpf.libbpf_set_print((IntPtr)print);
        }
    }

    [UnmanagedCallersOnly]
    private static int Print(int level, byte* format, IntPtr vaList)
    {
        var sink = s_sink;
        if (sink is null) return 0;
        try
        {
            sink((LibBpfLogLevel)level, CFormat.Format(format, vaList).TrimEnd('\n'));
        }
        catch (Exception)
        {
            // An exception must not unwind into libbpf's C frames; a logger failure loses one line.
        }
        return 0;
    }
}
