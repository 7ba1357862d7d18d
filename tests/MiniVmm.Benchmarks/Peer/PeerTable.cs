using MiniVmm.Benchmarks.Tap;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// The summary of a qemu benchmark run: median kpps per VMM configuration and queue count, per
/// direction, then each MiniVmm configuration over the QEMU one with the same hash-report setting
/// (goals, issue 5: >= 1.5x with eBPF steering, >= 2x with hash report on).
/// </summary>
public static class PeerTable
{
    public static void Print(List<PeerResult> results, int[] queues, string[] labels)
    {
        foreach (string direction in new[] { "RX", "TX" })
        {
            Console.WriteLine();
            Console.WriteLine($"{direction} kpps (median){"",10}" + string.Concat(queues.Select(q => $"{q + "q",10}")));
            foreach (string label in labels)
            {
                Console.WriteLine($"{label,-26}" + string.Concat(queues.Select(q => Cell(Rate(results, label, q, direction), Overlapped(results, label, q, direction)))));
            }
            foreach (string label in labels.Where(l => l.StartsWith("minivmm", StringComparison.Ordinal)))
            {
                string peer = label.EndsWith("+hash", StringComparison.Ordinal) ? "qemu rss+hash" : "qemu rss";
                if (!labels.Contains(peer)) continue;
                string goal = label.EndsWith("+hash", StringComparison.Ordinal) ? "goal 2x" : label.Contains("ebpf") ? "goal 1.5x" : "";
                Console.WriteLine($"{label + " / " + peer,-40}" + string.Concat(queues.Select(q =>
                {
                    double mine = Rate(results, label, q, direction), theirs = Rate(results, peer, q, direction);
                    return mine > 0 && theirs > 0 ? $"{mine / theirs,9:F2}x" : $"{"-",10}";
                })) + $"  {goal}");
            }
        }
        if (results.Any(r => r.FillOverlapped))
        {
            Console.WriteLine("* RX: in some round the host was still filling the TAP when the guest started receiving, so the sender shared the CPUs during the measurement; that number may be low.");
        }
    }

    private static double Rate(List<PeerResult> results, string label, int queues, string direction)
    {
        var rates = results.Where(r => r.Label == label && r.Queues == queues && r.Error is null)
            .Select(r => direction == "RX" ? r.RxRate : r.TxRate).Where(v => v > 0).ToList();
        return rates.Count == 0 ? 0 : TapBenchmark.Median(rates);
    }

    private static bool Overlapped(List<PeerResult> results, string label, int queues, string direction) =>
        direction == "RX" && results.Any(r => r.Label == label && r.Queues == queues && r.FillOverlapped);

    private static string Cell(double rate, bool overlapped) =>
        rate > 0 ? $"{rate / 1e3,9:F1}{(overlapped ? "*" : " ")}" : $"{"failed",10}";
}
