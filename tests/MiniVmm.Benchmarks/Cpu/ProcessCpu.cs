using System.Globalization;

namespace MiniVmm.Benchmarks.Cpu;

/// <summary>
/// Reads a process's CPU time from /proc (no syscall of our own beyond file reads): the run time of
/// every live thread from /proc/PID/task/TID/schedstat (nanoseconds), which of them run the guest
/// (by thread name), and utime/stime/guest_time of the whole process from /proc/PID/stat (which
/// also counts threads that have ended).
/// </summary>
public static class ProcessCpu
{
    /// <summary>USER_HZ: /proc/PID/stat counts clock ticks of 1/100 s on Linux x86-64.</summary>
    private const long NsPerTick = 10_000_000;

    /// <summary>A sample of <paramref name="pid"/> now; all zero if the process is gone.</summary>
    public static CpuSample Read(int pid)
    {
        try
        {
            long total = 0;
            var vcpu = new Dictionary<int, long>();
            foreach (string task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
            {
                try
                {
                    long ns = long.Parse(File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ')[0], CultureInfo.InvariantCulture);
                    total += ns;
                    if (IsVcpuThread(File.ReadAllText(Path.Combine(task, "comm")).Trim())) vcpu[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = ns;
                }
                catch (IOException)
                {
                    // the thread ended between listing and reading
                }
            }
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            // Fields after the parenthesised command name (which may contain spaces): field 3 is the first.
            string[] f = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long Field(int number) => long.Parse(f[number - 3], CultureInfo.InvariantCulture) * NsPerTick;
            // The per-thread sum loses a thread that ends inside an interval; the process's own
            // utime + stime keep it (10 ms resolution): that is the total when it is the larger.
            long user = Field(14), system = Field(15);
            return new CpuSample(Math.Max(total, user + system), vcpu, user, system, GuestNs: Field(43));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return new CpuSample(0, new Dictionary<int, long>(), 0, 0, 0);
        }
    }

    /// <summary>CPU time of the calling thread so far (ns), for in-process loops.</summary>
    public static long CurrentThreadNs() =>
        long.Parse(File.ReadAllText("/proc/thread-self/schedstat").Split(' ')[0], CultureInfo.InvariantCulture);

    /// <summary>MiniVmm names its vCPU threads "vcpu0".., QEMU "CPU 0/KVM"..</summary>
    private static bool IsVcpuThread(string name) =>
        name.StartsWith("vcpu", StringComparison.Ordinal) || (name.StartsWith("CPU ", StringComparison.Ordinal) && name.EndsWith("/KVM", StringComparison.Ordinal));
}
