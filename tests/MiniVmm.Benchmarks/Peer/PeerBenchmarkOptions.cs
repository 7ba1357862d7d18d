using System.Globalization;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>The qemu benchmark's command line.</summary>
/// <param name="FrameBytes">The guest's TX frame length: 60..1514, or up to 65535 for TSO frames (RX frames are 64 bytes).</param>
/// <param name="EventIdx">Whether the probe offers VIRTIO_F_EVENT_IDX (it then kicks only when the device asks).</param>
/// <param name="Vmms">Which configurations: both (all), qemu (QEMU's, QEMU on our back end included), minivmm (ours, our
/// front end on our back end included), vhost-user (qemu rss and qemu vhost-user), minivmm-vhost-user (minivmm S and
/// minivmm vhost-user S per --steering S, no hash report), dpdk (those, and our front end on DPDK's testpmd, TX only).</param>
/// <param name="Json">Print one JSON document on stdout (the human lines go to stderr).</param>
public sealed record PeerBenchmarkOptions(int[] Queues, long Frames, int Senders, int Rounds, string[] Steering, string Vmms,
    int FrameBytes = 64, bool EventIdx = true, bool Json = false)
{
    public const string Usage = "use --queues 1,2,4  --frames N  --senders T  --rounds R  --steering ebpf,software  --vmm both|qemu|minivmm|vhost-user|minivmm-vhost-user|dpdk  --tx-size 60..65535  --event-idx on|off  --json";

    /// <summary>Parses the arguments; prints one error line and returns null on bad input.</summary>
    public static PeerBenchmarkOptions? Parse(string[] args)
    {
        int[] queues = [1, 2, 4];
        long frames = 200_000;
        int senders = 2, rounds = 3;
        string[] steering = ["ebpf", "software"];
        string vmms = "both";
        int txSize = 64;
        bool eventIdx = true, json = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--json")
            {
                json = true;
                continue;
            }
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            bool ok = args[i] switch
            {
                "--queues" => TryParseList(value, out queues),
                "--frames" => long.TryParse(value, CultureInfo.InvariantCulture, out frames) && frames is >= 1000 and <= 100_000_000,
                "--senders" => int.TryParse(value, CultureInfo.InvariantCulture, out senders) && senders is > 0 and <= 16,
                "--rounds" => int.TryParse(value, CultureInfo.InvariantCulture, out rounds) && rounds is > 0 and <= 20,
                "--steering" => value is not null && (steering = value.Split(',')).All(s => s is "ebpf" or "software" or "auto"),
                "--vmm" => value is "both" or "qemu" or "minivmm" or "vhost-user" or "minivmm-vhost-user" or "dpdk" && (vmms = value).Length > 0,
                "--tx-size" => int.TryParse(value, CultureInfo.InvariantCulture, out txSize) && txSize is >= 60 and <= 65535,
                "--event-idx" => value is "on" or "off" && ((eventIdx = value == "on") || true),
                _ => false,
            };
            if (!ok)
            {
                Console.Error.WriteLine($"qemu benchmark: bad argument '{args[i]}{(value is null ? "" : " " + value)}' ({Usage})");
                return null;
            }
            i++;
        }
        return new PeerBenchmarkOptions(queues, frames, senders, rounds, steering, vmms, txSize, eventIdx, json);
    }

    private static bool TryParseList(string? value, out int[] queues)
    {
        queues = [];
        if (string.IsNullOrEmpty(value)) return false;
        var parsed = new List<int>();
        foreach (string part in value.Split(','))
        {
            if (!int.TryParse(part, CultureInfo.InvariantCulture, out int q) || q is < 1 or > 16) return false;
            parsed.Add(q);
        }
        queues = [.. parsed];
        return true;
    }
}
