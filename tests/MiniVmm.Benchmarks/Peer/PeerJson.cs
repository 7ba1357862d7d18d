using System.Text.Json;
using MiniVmm.Benchmarks.Tap;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// The qemu benchmark's results as one JSON document (--json): every run, and per configuration,
/// queue count and direction the medians (kpps, VMM CPU ns per frame) and the paired ratios
/// that the table prints (MiniVmm/QEMU, qemu vhost-user/qemu rss, minivmm vhost-user S/minivmm S).
/// </summary>
public static class PeerJson
{
    public static string Write(List<PeerResult> results, int[] queues, string[] labels, PeerBenchmarkOptions options, string loadStart, string loadEnd)
    {
        var cells = new List<object>();
        foreach (string direction in new[] { "RX", "TX" })
        {
            foreach (string label in labels)
            {
                foreach (int q in queues)
                {
                    var mine = results.Where(r => r.Label == label && r.Queues == q && r.Error is null).ToList();
                    double? Median(Func<PeerResult, double?> f)
                    {
                        var v = mine.Select(f).OfType<double>().Where(x => x > 0).ToList();
                        return v.Count == 0 ? null : TapBenchmark.Median(v);
                    }
                    string peer = PeerTable.PeerOf(label);
                    bool compared = PeerTable.IsCompared(label) && labels.Contains(peer);
                    List<double> rateRatios = compared ? PeerTable.PairedRatios(results, label, peer, q, r => direction == "RX" ? r.RxRate : r.TxRate) : [];
                    List<double> cpuRatios = compared ? PeerTable.PairedRatios(results, label, peer, q, r => r.VmmNsPerPacket(direction)) : [];
                    List<double> backEndRatios = compared && PeerTable.IsSplit(label) ? PeerTable.BackEndRatios(results, label, peer, q, direction) : [];
                    cells.Add(new
                    {
                        direction,
                        label,
                        queues = q,
                        kpps = Median(r => (direction == "RX" ? r.RxRate : r.TxRate) / 1e3),
                        vmmCpuNsPerFrame = Median(r => r.VmmNsPerPacket(direction)),
                        allThreadsCpuNsPerFrame = Median(r => r.TotalNsPerPacket(direction)),
                        backEndCpuNsPerFrame = Median(r => r.BackEndNsPerPacket(direction)),
                        peer = compared ? peer : null,
                        rateRatio = rateRatios.Count == 0 ? (double?)null : TapBenchmark.Median(rateRatios),
                        cpuRatio = cpuRatios.Count == 0 ? (double?)null : TapBenchmark.Median(cpuRatios),
                        // our split VMM only: its back end's CPU (all threads) over the in-process VMM's outside vCPU
                        backEndCpuRatio = backEndRatios.Count == 0 ? (double?)null : TapBenchmark.Median(backEndRatios),
                    });
                }
            }
        }
        var runs = results.Select(r => new
        {
            label = r.Label,
            queues = r.Queues,
            round = r.Round,
            error = r.Error,
            rxKpps = r.RxRate / 1e3,
            txKpps = r.TxRate / 1e3,
            sent = r.Sent,
            received = r.Received,
            fillOverlapped = r.FillOverlapped,
            txSent = r.TxSent,
            txKicks = r.TxKicks,
            rxVmmCpuNsPerFrame = r.VmmNsPerPacket("RX"),
            rxAllThreadsCpuNsPerFrame = r.TotalNsPerPacket("RX"),
            txVmmCpuNsPerFrame = r.VmmNsPerPacket("TX"),
            txAllThreadsCpuNsPerFrame = r.TotalNsPerPacket("TX"),
            rxBackEndCpuNsPerFrame = r.BackEndNsPerPacket("RX"),
            txBackEndCpuNsPerFrame = r.BackEndNsPerPacket("TX"),
            rxCpu = r.RxCpu,
            txCpu = r.TxCpu,
        });
        return JsonSerializer.Serialize(new
        {
            benchmark = "qemu",
            options = new { options.Queues, options.Frames, options.Senders, options.Rounds, options.Steering, options.Vmms, txFrameBytes = options.FrameBytes, options.EventIdx },
            loadStart,
            loadEnd,
            cells,
            runs,
        }, new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase });
    }
}
