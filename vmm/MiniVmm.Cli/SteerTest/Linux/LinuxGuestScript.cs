using System.Globalization;
using System.Text;

namespace MiniVmm.Cli.SteerTest.Linux;

/// <summary>
/// The shell script the Linux guest runs: it configures eth0 the way a user would with ethtool
/// (queues, receive hashing, the flows' hash fields, the indirection table and key), then runs the
/// frame observer once per phase. Between the phases it sets the second table and key, as a user
/// reconfiguring RSS at run time would. Each step is echoed; a failing step ends the script with
/// status 3 and says which.
/// </summary>
public static class LinuxGuestScript
{
    /// <summary>The four flow types Linux 6.1's virtio_net lets ethtool hash on ports ("sdfn"); its _EX types cannot be set.</summary>
    public static readonly string[] FlowTypes = ["tcp4", "udp4", "tcp6", "udp6"];

    public static string Build(SteerTestOptions options, string frameObserver, int frames1, int frames2, int timeoutMs)
    {
        var s = new StringBuilder();
        s.AppendLine("# minivmm steer-test --guest linux: what the guest does (vmm/MiniVmm.Cli/SteerTest/Linux/LinuxGuestScript.cs)");
        s.AppendLine("""step() { echo "linux-rig: $*"; "$@" || { echo "linux-rig: failed: $*"; exit 3; }; }""");
        // The observer asks for an 8 MiB receive buffer; the kernel caps it at rmem_max.
        s.AppendLine("echo 16777216 > /proc/sys/net/core/rmem_max");
        s.AppendLine("step ip link set eth0 up");
        // GRO would merge a flow's frames before the observer sees them.
        s.AppendLine("step ethtool -K eth0 gro off");
        s.AppendLine(Invariant($"step ethtool -L eth0 combined {options.Queues}"));
        if (options.HashReport) s.AppendLine("step ethtool -K eth0 rxhash on");
        foreach (string flow in FlowTypes) s.AppendLine($"step ethtool -N eth0 rx-flow-hash {flow} sdfn");
        s.AppendLine($"step ethtool -X eth0 {TableWords(options.Table, options.Queues)} hkey {HexKey(options.Key)}");
        s.AppendLine(Observe(frameObserver, frames1, timeoutMs));
        if (frames2 > 0)
        {
            s.AppendLine($"step ethtool -X eth0 {TableWords(options.Table2 ?? options.Table, options.Queues)} hkey {HexKey(options.Key2 ?? options.Key)}");
            s.AppendLine(Observe(frameObserver, frames2, timeoutMs));
        }
        return s.ToString();
    }

    /// <summary>
    /// ethtool's words for an indirection table: "equal N" for the default spread (entry i -> i mod N,
    /// the probe rig's default too), otherwise "weight" with each queue's share of the entries:
    /// ethtool fills the table in contiguous runs, so the queues get the same shares as in the
    /// given table but not necessarily the same entries. The rig checks against what the driver sent.
    /// </summary>
    public static string TableWords(ushort[]? table, int queues)
    {
        if (table is null) return Invariant($"equal {queues}");
        int[] weights = new int[queues];
        foreach (ushort q in table) weights[q]++;
        return "weight " + string.Join(' ', weights.Select(w => w.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>A key as ethtool's hkey wants it: hex bytes separated by colons.</summary>
    public static string HexKey(byte[] key) => string.Join(':', key.Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));

    private static string Observe(string frameObserver, int frames, int timeoutMs) =>
        Invariant($"step {frameObserver} observe eth0 --frames {frames} --timeout {timeoutMs} --idle 3000");

    private static string Invariant(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
