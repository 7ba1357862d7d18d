using System.Runtime.InteropServices;

namespace MiniVmm.Bpf;

/// <summary>
/// One CPU's value of the per-CPU <c>rss_result</c> map: struct rss_result of
/// bpf/rss_steering.bpf.c (16 bytes), written by every run of the program.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public struct RssResultValue
{
    public uint HashValue;
    public ushort HashReport;
    public ushort Queue;

    /// <summary>Runs on this CPU since the value was last cleared.</summary>
    public ulong Runs;
}
