using System.Runtime.InteropServices;

namespace MiniVmm.Native.Bpf;

/// <summary>
/// printf-style formatting of a C va_list, for C libraries that log through a
/// <c>(const char *fmt, va_list ap)</c> callback (libbpf_set_print).
/// </summary>
public static unsafe partial class CFormat
{
    [LibraryImport("libc", EntryPoint = "vsnprintf")]
    private static partial int vsnprintf(byte* buffer, nuint size, byte* format, IntPtr vaList);

    /// <summary>Formats <paramref name="format"/> with the arguments in <paramref name="vaList"/> (consumed).</summary>
    public static string Format(byte* format, IntPtr vaList)
    {
        const int Capacity = 2048;
        byte* buffer = stackalloc byte[Capacity];
        int n = vsnprintf(buffer, Capacity, format, vaList);
        if (n < 0) return string.Empty;
        return Marshal.PtrToStringUTF8((IntPtr)buffer, Math.Min(n, Capacity - 1)) ?? string.Empty;
    }
}
