using MiniVmm.HostNet;
using System.Globalization;
using MiniVmm.HostNet.Steering;
using MiniVmm.HostNet.VhostNet;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Cli.Configuration;

/// <summary>
/// Parses <c>--net tap=NAME[,queues=N][,mac=MAC][,rss=on|off][,hash-report=on|off][,steering=auto|ebpf|software][,fds=LIST][,vhost=on|off|auto]</c>
/// (or <c>vhost-user=PATH[,...]</c>).
/// Throws <see cref="UsageException"/> naming the first bad key or value.
/// </summary>
public static class NetOptionParser
{
    /// <summary>Every key, in the order help lists them. A new key is one line here.</summary>
    public static readonly NetKey[] Keys =
    [
        new("tap", "NAME", "TAP interface (created and removed at exit if absent)", (o, _, v) => o with { TapName = ValidTapName(v) }),
        new("vhost-user", "PATH", "or: the socket of a vhost-user back end (minivmm vhost-user-net, DPDK, ...) that owns the TAP and the data path", (o, part, v) => o with { VhostUserPath = ValidSocket(part, v) }),
        new("reconnect", "SECONDS", "with vhost-user: keep the guest's device and reconnect for up to SECONDS when the back end goes away (default: do not)",
            (o, part, v) => o with { Reconnect = ParseSeconds(part, v) }),
        new("fds", "3,4,5,6", "or: already-open TAP queue fds from a privileged parent", (o, part, v) => o with { Fds = [.. o.Fds ?? [], .. ParseFds(part, v)] }, Repeatable: true),
        new("queues", "N", $"queue pairs, 1 to {VirtioNetOptions.MaxQueuePairsLimit} (default: one per vCPU)", (o, _, v) => o with { Queues = ParseQueues(v) }),
        new("mac", "MAC", "default 52:54:00:12:34:56", (o, part, v) => o with { Mac = ParseMac(part, v) }),
        new("rss", "on|off", "offer RSS (default on)", (o, part, v) => o with { Rss = OnOff(part, v) }),
        new("hash-report", "on|off", "offer hash report (default on)", (o, part, v) => o with { HashReport = OnOff(part, v) }),
        new("steering", "MODE", "auto|ebpf|software|kernel|ebpf-kfuncs|ebpf-hybrid: who puts packets on queues (default auto: the best available; the choice and why are printed at start)",
            (o, part, v) => o with { Steering = ParseSteering(part, v) }),
        new("vhost", "on|off|auto", "with tap= or fds=: the kernel's vhost-net carries the packets (auto: when the features the guest negotiates let the kernel do everything; default off; docs/VHOST.md)",
            (o, part, v) => o with { Vhost = ParseVhost(part, v) }),
    ];

    /// <summary>The --net option's help: what SPEC is, then a line per key.</summary>
    public static string Help =>
        "a virtio-net card on a multiqueue TAP; SPEC is comma-separated key=value:\n" +
        string.Join("\n", Keys.Select(k => $"  {k.Name + "=" + k.Value,-19} {k.Help}"));

    public static NetworkOptions Parse(string spec)
    {
        var options = new NetworkOptions();
        var seen = new HashSet<string>();
        foreach (string part in Normalise(spec).Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0) continue;
            int eq = part.IndexOf('=');
            if (eq <= 0) throw Bad(part, "expected key=value");
            string name = part[..eq].ToLowerInvariant(), value = part[(eq + 1)..];
            NetKey key = Array.Find(Keys, k => k.Name == name)
                ?? throw Bad(part, $"unknown key ({string.Join(", ", Keys.Select(k => k.Name))})");
            if (!seen.Add(name) && !key.Repeatable) throw Bad(part, "given twice");
            options = key.Apply(options, part, value);
        }
        int backEnds = (options.TapName is null ? 0 : 1) + (options.Fds is { Count: > 0 } ? 1 : 0) + (options.VhostUserPath is null ? 0 : 1);
        if (backEnds == 0) throw new UsageException($"--net {spec}: needs tap=NAME, fds=LIST or vhost-user=PATH");
        if (backEnds > 1) throw new UsageException($"--net {spec}: give one of tap=NAME, fds=LIST and vhost-user=PATH");
        if (options.VhostUserPath is not null && seen.FirstOrDefault(k => k is "rss" or "hash-report" or "steering") is string backEndKey)
            throw new UsageException($"--net {spec}: {backEndKey}= is the vhost-user back end's to decide (give it to minivmm vhost-user-net)");
        if (options.VhostUserPath is not null && seen.Contains("vhost"))
            throw new UsageException($"--net {spec}: vhost= is for tap= or fds= (a vhost-user back end already keeps the VMM off the data path)");
        if (options.VhostUserPath is null && seen.Contains("reconnect"))
            throw new UsageException($"--net {spec}: reconnect= needs vhost-user=PATH");
        if (options.Fds is { Count: > VirtioNetOptions.MaxQueuePairsLimit } many)
            throw new UsageException($"--net {spec}: {many.Count} fds; a device has at most {VirtioNetOptions.MaxQueuePairsLimit} queue pairs");
        if (options.Fds is { Count: > 0 } fds && options.Queues is int q && q != fds.Count)
            throw new UsageException($"--net {spec}: queues={q} but {fds.Count} fds were given");
        return options;
    }

    /// <summary>Joins "fds=3,4,5" back together: the numbers after fds= are not key=value parts.</summary>
    public static string Normalise(string spec)
    {
        var parts = new List<string>();
        foreach (string raw in spec.Split(',', StringSplitOptions.TrimEntries))
        {
            if (parts.Count > 0 && parts[^1].StartsWith("fds=", StringComparison.OrdinalIgnoreCase) && raw.Length > 0 && raw.All(char.IsAsciiDigit))
                parts[^1] += ":" + raw;
            else parts.Add(raw);
        }
        return string.Join(',', parts);
    }

    private static string ValidSocket(string part, string path)
    {
        // sun_path holds 108 bytes with the NUL.
        if (path.Length is 0 or > 107) throw Bad(part, "a socket path is 1 to 107 bytes");
        return path;
    }

    private static TimeSpan ParseSeconds(string part, string value)
    {
        if (!int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int seconds) || seconds is < 1 or > 3600)
            throw Bad(part, "seconds, 1 to 3600");
        return TimeSpan.FromSeconds(seconds);
    }

    private static string ValidTapName(string name)
    {
        // IFNAMSIZ is 16 with the NUL; '/' and whitespace are not allowed in interface names.
        if (name.Length is 0 or > 15 || name.Any(c => c == '/' || c == ':' || char.IsWhiteSpace(c)) || name is "." or "..")
            throw new UsageException($"--net tap={name}: not a valid interface name (1 to 15 characters, no '/', ':' or spaces)");
        return name;
    }

    private static MacAddress ParseMac(string part, string value)
    {
        if (!MacAddress.TryParse(value, out MacAddress mac)) throw Bad(part, "not a MAC address (like 52:54:00:12:34:56)");
        // A NIC's own address must be unicast and not all zeros (IEEE 802: bit 0 of the first octet is the group bit).
        if (mac.IsMulticast || mac.Value == 0) throw Bad(part, "must be a unicast, non-zero address");
        return mac;
    }

    private static int ParseQueues(string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n is >= 1 and <= VirtioNetOptions.MaxQueuePairsLimit
            ? n
            : throw new UsageException($"--net queues={value}: must be a whole number from 1 to {VirtioNetOptions.MaxQueuePairsLimit}");

    private static bool OnOff(string part, string value) => value.ToLowerInvariant() switch
    {
        "on" or "true" or "1" or "yes" => true,
        "off" or "false" or "0" or "no" => false,
        _ => throw Bad(part, "must be on or off"),
    };

    private static SteeringRequest ParseSteering(string part, string value)
    {
        try { return SteeringSelector.ParseRequest(value); }
        catch (FormatException) { throw Bad(part, "must be auto, ebpf, software, kernel, ebpf-kfuncs or ebpf-hybrid"); }
    }

    private static VhostRequest ParseVhost(string part, string value)
    {
        try { return VhostNetSelector.Parse(value); }
        catch (FormatException) { throw Bad(part, "must be on, off or auto"); }
    }

    private static IEnumerable<int> ParseFds(string part, string value)
    {
        var fds = new List<int>();
        foreach (string f in value.Split(':', StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(f, NumberStyles.None, CultureInfo.InvariantCulture, out int fd) || fd < 3)
                throw Bad(part.Replace(':', ','), "fds must be open file descriptor numbers, 3 or more");
            fds.Add(fd);
        }
        return fds;
    }

    private static UsageException Bad(string part, string problem) => new($"--net {part}: {problem}");
}
