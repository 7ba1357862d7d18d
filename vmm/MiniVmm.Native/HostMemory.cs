using System.Runtime.InteropServices;

namespace MiniVmm.Native;

/// <summary>
/// What this host and process let MiniVmm map for guest RAM, read now: MemAvailable + SwapFree from
/// /proc/meminfo, RLIMIT_AS and RLIMIT_DATA (null when unlimited) and what this process already uses
/// of each (VmSize, VmData in /proc/self/status).
/// </summary>
public sealed partial record HostMemory(
    ulong AvailableBytes,
    ulong? AddressSpaceLimitBytes,
    ulong AddressSpaceUsedBytes,
    ulong? DataLimitBytes,
    ulong DataUsedBytes)
{
    private const int RlimitData = 2, RlimitAs = 9; // asm-generic/resource.h
    private const ulong RlimInfinity = ulong.MaxValue;

    [StructLayout(LayoutKind.Sequential)]
    private struct Rlimit
    {
        public ulong Current;
        public ulong Maximum;
    }

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetRlimit(int resource, out Rlimit limit);

    public static HostMemory Read()
    {
        Dictionary<string, ulong> meminfo = ReadKibFields("/proc/meminfo");
        Dictionary<string, ulong> status = ReadKibFields("/proc/self/status");
        return new HostMemory(
            AvailableBytes: Field(meminfo, "MemAvailable") + Field(meminfo, "SwapFree"),
            AddressSpaceLimitBytes: Limit(RlimitAs, "RLIMIT_AS"),
            AddressSpaceUsedBytes: Field(status, "VmSize"),
            DataLimitBytes: Limit(RlimitData, "RLIMIT_DATA"),
            DataUsedBytes: Field(status, "VmData"));
    }

    private static ulong? Limit(int resource, string name)
    {
        if (GetRlimit(resource, out Rlimit limit) != 0) throw new SyscallException($"getrlimit {name}", Marshal.GetLastPInvokeError());
        return limit.Current == RlimInfinity ? null : limit.Current;
    }

    private static ulong Field(Dictionary<string, ulong> fields, string name) =>
        fields.TryGetValue(name, out ulong v) ? v : 0;

    /// <summary>"Name:   1234 kB" lines, in bytes.</summary>
    private static Dictionary<string, ulong> ReadKibFields(string path)
    {
        var fields = new Dictionary<string, ulong>();
        foreach (string line in File.ReadLines(path))
        {
            int colon = line.IndexOf(':');
            if (colon < 0 || !line.EndsWith(" kB", StringComparison.Ordinal)) continue;
            if (ulong.TryParse(line.AsSpan(colon + 1, line.Length - colon - 4).Trim(), out ulong kib)) fields[line[..colon]] = kib << 10;
        }
        return fields;
    }
}
