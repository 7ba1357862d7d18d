using System.Diagnostics;

namespace MiniVmm.Benchmarks;

/// <summary>
/// The host-side chores of the network benchmarks, done with iproute2 as an operator would:
/// persistent TAPs for the VMMs under test (created and always deleted), queue length, load.
/// </summary>
public static class HostInterface
{
    private static int _next;

    /// <summary>A TAP name not in use yet: mvb-&lt;n&gt;.</summary>
    public static string UniqueName()
    {
        while (true)
        {
            string name = $"mvb-{Interlocked.Increment(ref _next)}";
            if (!Directory.Exists($"/sys/class/net/{name}")) return name;
        }
    }

    /// <summary>Creates a persistent TAP (ip tuntap add), multi_queue or not, with that txqueuelen, and brings it up.</summary>
    public static void CreateTap(string name, bool multiQueue, long txQueueLength)
    {
        Ip($"tuntap add dev {name} mode tap{(multiQueue ? " multi_queue" : "")}");
        try { Prepare(name, txQueueLength); }
        catch { DeleteTap(name); throw; }
    }

    /// <summary>Deletes the interface if it exists; never throws (it runs in finally blocks).</summary>
    public static void DeleteTap(string name)
    {
        if (!Directory.Exists($"/sys/class/net/{name}")) return;
        try { Ip($"link del dev {name}"); }
        catch (Exception e) { Console.Error.WriteLine($"warning: could not delete {name}: {e.Message}"); }
    }

    /// <summary>
    /// Brings the interface up without IPv6 (no router solicitations or MLD reports mixed into the
    /// measured packets) and, when <paramref name="txQueueLength"/> &gt; 0, sets txqueuelen, the
    /// length of each TAP queue's ring.
    /// </summary>
    public static void Prepare(string name, long txQueueLength)
    {
        string disable = $"/proc/sys/net/ipv6/conf/{name}/disable_ipv6";
        if (File.Exists(disable)) File.WriteAllText(disable, "1");
        if (txQueueLength > 0) Ip($"link set dev {name} txqueuelen {txQueueLength}");
        Ip($"link set dev {name} up");
    }

    /// <summary>/proc/loadavg's first three numbers, to print beside every result.</summary>
    public static string LoadAverage()
    {
        string[] parts = File.ReadAllText("/proc/loadavg").Split(' ');
        return $"load average {parts[0]} {parts[1]} {parts[2]} on {Environment.ProcessorCount} CPUs";
    }

    private static void Ip(string arguments)
    {
        using var ip = Process.Start(new ProcessStartInfo("ip", arguments) { RedirectStandardError = true, RedirectStandardOutput = true })
            ?? throw new InvalidOperationException("cannot start ip");
        string error = ip.StandardError.ReadToEnd();
        ip.WaitForExit();
        if (ip.ExitCode != 0) throw new InvalidOperationException($"ip {arguments}: {error.Trim()}");
    }
}
