using MiniVmm.Benchmarks.Tap;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// The summary of a qemu benchmark run: median kpps per VMM configuration and queue count, per
/// direction, then each MiniVmm configuration over the QEMU one with the same hash-report setting
/// (goals, issue 5: >= 1.5x with eBPF steering, >= 2x with hash report on). Ratios are paired:
/// each round's MiniVmm rate over the same round's QEMU rate (run minutes apart, so under about
/// the same machine load), then the median over rounds, with the range. QEMU on our vhost-user back
/// end is compared the same way with QEMU on its own TAP back end ("qemu rss": no hash report either),
/// and our front end on our back end ("minivmm vhost-user S") with our in-process NIC ("minivmm S",
/// same steering, no hash report; goal, issue 10: >= 0.9x).
/// </summary>
public static class PeerTable
{
    // Wide enough for "  minivmm vhost-user software: back end process (all)".
    private const int LabelWidth = 56;

    public static void Print(List<PeerResult> results, int[] queues, string[] labels)
    {
        foreach (string direction in new[] { "RX", "TX" })
        {
            Console.WriteLine();
            Console.WriteLine($"{direction + " kpps, median over rounds",-LabelWidth}" + string.Concat(queues.Select(q => $"{q + "q",16}")));
            foreach (string label in labels)
            {
                Console.WriteLine($"{label,-LabelWidth}" + string.Concat(queues.Select(q => Cell(results, label, q, direction))));
            }
            foreach (string label in labels.Where(IsCompared))
            {
                string peer = PeerOf(label);
                if (!labels.Contains(peer)) continue;
                string goal = IsSplit(label) ? "goal >= 0.9x" : label.EndsWith("+hash", StringComparison.Ordinal) ? "goal 2x" : label.Contains("ebpf") ? "goal 1.5x" : "";
                Console.WriteLine($"{label + " / " + peer,-LabelWidth}" + string.Concat(queues.Select(q => RatioCell(results, label, peer, q, direction))) + $"  {goal}");
            }
        }
        PrintCpu(results, queues, labels);
        if (results.Any(r => r.FillOverlapped))
        {
            Console.WriteLine("* RX: in some round the host was still filling the TAP when the guest started receiving, so the sender shared the CPUs during the measurement; that number may be low.");
        }
        var partial = results.Where(r => r.Error is null && r.Received < r.Sent).Select(r => $"{r.Label} q={r.Queues} round {r.Round}: {r.Received}/{r.Sent}").ToList();
        if (partial.Count > 0)
        {
            Console.WriteLine("RX runs where the guest got fewer frames than were sent (its rate is over the frames it got): " + string.Join("; ", partial));
        }
    }

    /// <summary>
    /// VMM CPU per frame (ns, outside the vCPU threads: the device work; the vCPU threads spin in
    /// the polling guest), median over rounds, then MiniVmm over QEMU paired by round (goal, issue
    /// 11: at most 0.5x). Our split VMM's ratio is over the in-process VMM: it should be near 0, the
    /// device work having moved to the back end, whose CPU is then put over the in-process VMM's.
    /// </summary>
    private static void PrintCpu(List<PeerResult> results, int[] queues, string[] labels)
    {
        foreach (string direction in new[] { "RX", "TX" })
        {
            Console.WriteLine();
            Console.WriteLine($"{direction + " VMM CPU ns/frame outside vCPU (all)",-LabelWidth}" + string.Concat(queues.Select(q => $"{q + "q",16}")));
            foreach (string label in labels)
            {
                Console.WriteLine($"{label,-LabelWidth}" + string.Concat(queues.Select(q =>
                {
                    var mine = results.Where(r => r.Label == label && r.Queues == q && r.Error is null).ToList();
                    var vmm = mine.Select(r => r.VmmNsPerPacket(direction)).OfType<double>().ToList();
                    var all = mine.Select(r => r.TotalNsPerPacket(direction)).OfType<double>().ToList();
                    return vmm.Count == 0 ? $"{"-",16}" : $"{$"{TapBenchmark.Median(vmm):F0} ({TapBenchmark.Median(all):F0})",16}";
                })));
                // A vhost-user back end does the device work in its own process: all of its threads, beside the VMM's row.
                if (!results.Any(r => r.Label == label && r.BackEndNsPerPacket(direction) is not null)) continue;
                Console.WriteLine($"{"  " + label + ": back end process (all)",-LabelWidth}" + string.Concat(queues.Select(q =>
                {
                    var backEnd = results.Where(r => r.Label == label && r.Queues == q && r.Error is null).Select(r => r.BackEndNsPerPacket(direction)).OfType<double>().ToList();
                    return backEnd.Count == 0 ? $"{"-",16}" : $"{TapBenchmark.Median(backEnd),16:F0}";
                })));
            }
            foreach (string label in labels.Where(l => l.StartsWith("minivmm", StringComparison.Ordinal)))
            {
                string peer = PeerOf(label);
                if (!labels.Contains(peer)) continue;
                Console.WriteLine($"{label + " / " + peer,-LabelWidth}" + string.Concat(queues.Select(q =>
                {
                    var ratios = PairedRatios(results, label, peer, q, r => r.VmmNsPerPacket(direction));
                    return $"{CpuRatioCell(ratios),16}";
                })) + (IsSplit(label) ? "  goal near 0" : "  goal <= 0.5x"));
                if (!IsSplit(label)) continue;
                Console.WriteLine($"{"  back end (all) / " + peer + " VMM",-LabelWidth}" + string.Concat(queues.Select(q =>
                {
                    var ratios = BackEndRatios(results, label, peer, q, direction);
                    return $"{CpuRatioCell(ratios),16}";
                })));
            }
        }
    }

    /// <summary>Configurations with a ratio row: MiniVmm's, and QEMU on our vhost-user back end.</summary>
    public static bool IsCompared(string label) => label.StartsWith("minivmm", StringComparison.Ordinal) || label == "qemu vhost-user";

    /// <summary>
    /// The configuration a compared one is compared with: for MiniVmm in process and QEMU on vhost-user the
    /// QEMU one with the same hash-report setting; for our split VMM the in-process one with its steering.
    /// </summary>
    public static string PeerOf(string label) =>
        IsSplit(label) ? "minivmm " + label[MiniVmmVhostUserLauncher.LabelPrefix.Length..]
        : label.EndsWith("+hash", StringComparison.Ordinal) ? "qemu rss+hash" : "qemu rss";

    /// <summary>Our front end on our vhost-user back end process.</summary>
    public static bool IsSplit(string label) => label.StartsWith(MiniVmmVhostUserLauncher.LabelPrefix, StringComparison.Ordinal);

    /// <summary>Each round's back end CPU per frame (all threads) of <paramref name="label"/> over the same round's VMM CPU per frame outside vCPU of <paramref name="peer"/>.</summary>
    public static List<double> BackEndRatios(List<PeerResult> results, string label, string peer, int queues, string direction)
    {
        var ratios = new List<double>();
        foreach (PeerResult mine in results.Where(r => r.Label == label && r.Queues == queues && r.Error is null))
        {
            PeerResult? theirs = results.FirstOrDefault(r => r.Label == peer && r.Queues == queues && r.Round == mine.Round && r.Error is null);
            if (theirs?.VmmNsPerPacket(direction) is double t && t > 0 && mine.BackEndNsPerPacket(direction) is double m) ratios.Add(m / t);
        }
        return ratios;
    }

    /// <summary>Each round's value of <paramref name="label"/> over the same round's value of <paramref name="peer"/>.</summary>
    public static List<double> PairedRatios(List<PeerResult> results, string label, string peer, int queues, Func<PeerResult, double?> value)
    {
        var ratios = new List<double>();
        foreach (PeerResult mine in results.Where(r => r.Label == label && r.Queues == queues && r.Error is null))
        {
            PeerResult? theirs = results.FirstOrDefault(r => r.Label == peer && r.Queues == queues && r.Round == mine.Round && r.Error is null);
            if (theirs is not null && value(theirs) is double t && t > 0 && value(mine) is double m && m > 0) ratios.Add(m / t);
        }
        return ratios;
    }

    private static double Rate(PeerResult r, string direction) => direction == "RX" ? r.RxRate : r.TxRate;

    private static List<double> Rates(List<PeerResult> results, string label, int queues, string direction) =>
        results.Where(r => r.Label == label && r.Queues == queues && r.Error is null).Select(r => Rate(r, direction)).Where(v => v > 0).ToList();

    private static string Cell(List<PeerResult> results, string label, int queues, string direction)
    {
        var rates = Rates(results, label, queues, direction);
        if (rates.Count == 0 && direction == "RX" && results.Any(r => r.Label == label && r.Queues == queues && r.Error is null && r.Sent == 0)) return $"{"not measured",16}";
        bool overlapped = direction == "RX" && results.Any(r => r.Label == label && r.Queues == queues && r.FillOverlapped);
        return rates.Count == 0 ? $"{"failed",16}" : $"{TapBenchmark.Median(rates) / 1e3,15:F1}{(overlapped ? "*" : " ")}";
    }

    /// <summary>
    /// Median and range of CPU ratios; near zero (our split VMM over the in-process one) the median alone
    /// with three decimals, where "0.00x (0.0-0.0)" would say nothing and a range would not fit the column.
    /// </summary>
    private static string CpuRatioCell(List<double> ratios)
    {
        if (ratios.Count == 0) return "-";
        double median = TapBenchmark.Median(ratios);
        return median < 0.1 ? $"{median:F3}x" : $"{median:F2}x ({ratios.Min():F1}-{ratios.Max():F1})";
    }

    private static string RatioCell(List<PeerResult> results, string label, string peer, int queues, string direction)
    {
        var ratios = PairedRatios(results, label, peer, queues, r => Rate(r, direction));
        if (ratios.Count == 0) return $"{"-",16}";
        string cell = ratios.Count == 1 ? $"{ratios[0]:F2}x" : $"{TapBenchmark.Median(ratios):F2}x ({ratios.Min():F1}-{ratios.Max():F1})";
        return $"{cell,16}";
    }
}
