using System.Globalization;
using MiniVmm.Benchmarks.Cpu;
using MiniVmm.Benchmarks.Tap;
using MiniVmm.Rss.Packets;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// The same probe guest under qemu-system-x86_64 and under MiniVmm (issue 5 item 5): host-to-guest
/// RX (64-byte frames) and guest-to-host TX (--tx-size, 64 by default) frames per second, for 1, 2
/// and 4 queues, as the guest measures them (quiet=1 totals, TSC-timed), the VMM process's CPU time
/// per frame over each measured interval (issue 11), and the ratios MiniVmm/QEMU; with a vhost-user
/// back end process (`minivmm vhost-user-net` under QEMU or our own front end, or DPDK's testpmd, TX
/// only) also that process's CPU time per frame, and our split VMM over our in-process one (issue 10).
/// Each run: a fresh TAP mvb-&lt;n&gt;, the VMM as a subprocess, `probe: ready`, the guest's TX
/// jobs (one per queue, one after the other), then the host's RX frames (256 UDP flows through
/// AF_PACKET, several sender threads), then the VMM ends; the TAP is deleted whatever happened.
/// Usage: MiniVmm.Benchmarks qemu [see PeerBenchmarkOptions.Usage].
/// </summary>
public static class QemuBenchmark
{
    private const int FrameBytes = 64;
    private static readonly byte[] GuestMac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    private static readonly byte[] HostMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];
    private static readonly Lock CurrentLock = new();
    private static ProbeVm? _currentVm;
    private static string? _currentTap;
    private static readonly HashSet<string> SoftwareRssSeen = [];
    private static Interruption? _interruption;

    public static int Run(string[] args)
    {
        var options = PeerBenchmarkOptions.Parse(args);
        if (options is null) return 2;
        string? root = RepoRoot();
        string probe = Path.Combine(root ?? ".", "out", "guest-images", "probe.elf");
        if (!File.Exists(probe))
        {
            Console.Error.WriteLine($"qemu benchmark: {probe} not found (make -C guest-images/probe OUT=$PWD/out/guest-images)");
            return 2;
        }
        long tscKhz = TscKilohertz();
        var launchers = Launchers(options, Path.Combine(root ?? ".", "out", "bin", "minivmm"));
        if (launchers.Count == 0) return 1;

        using var interruption = new Interruption(OnInterrupt);
        _interruption = interruption;
        TextWriter stdout = Console.Out;
        if (options.Json) Console.SetOut(Console.Error); // the human lines to stderr, the JSON alone on stdout
        try
        {
            Console.WriteLine($"qemu benchmark: probe {probe}, {FrameBytes}-byte frames, {options.Frames} frames per direction and run, " +
                $"{options.Senders} sender thread(s), median of {options.Rounds} round(s), tsc_khz={tscKhz} (/proc/cpuinfo)");
            string loadStart = HostInterface.LoadAverage();
            Console.WriteLine($"start: {loadStart}");
            var results = new List<PeerResult>();
            for (int round = 1; round <= options.Rounds; round++)
            {
                foreach (int queues in options.Queues)
                {
                    foreach (ProbeVmLauncher launcher in launchers)
                    {
                        if (interruption.Requested) return interruption.ExitCode;
                        PeerResult r = RunOne(launcher, queues, round, probe, tscKhz, options);
                        results.Add(r);
                        Console.WriteLine(Describe(round, r));
                    }
                }
            }
            string loadEnd = HostInterface.LoadAverage();
            Console.WriteLine($"end: {loadEnd}");
            foreach (string label in SoftwareRssSeen) Console.WriteLine($"{label}: QEMU logged \"Can't load eBPF RSS - fallback to software RSS\": QEMU steered in software");
            string[] labels = launchers.Select(l => l.Label).ToArray();
            PeerTable.Print(results, options.Queues, labels);
            if (options.Json) stdout.WriteLine(PeerJson.Write(results, options.Queues, labels, options, loadStart, loadEnd));
            return results.Any(r => r.Error is not null) ? 1 : 0;
        }
        finally
        {
            _interruption = null;
            Console.SetOut(stdout);
        }
    }

    private static List<ProbeVmLauncher> Launchers(PeerBenchmarkOptions options, string minivmm)
    {
        var launchers = new List<ProbeVmLauncher>();
        if (options.Vmms is "both" or "qemu" or "vhost-user") launchers.Add(new QemuLauncher(hashReport: false));
        if (options.Vmms is "both" or "qemu") launchers.Add(new QemuLauncher(hashReport: true));
        // QEMU's NIC on our vhost-user back end, next to QEMU's own TAP back end in the same rounds.
        if (options.Vmms is "both" or "qemu" or "vhost-user") launchers.Add(new QemuVhostUserLauncher(minivmm));
        foreach (string steering in options.Steering)
        {
            if (options.Vmms is "both" or "minivmm" or "minivmm-vhost-user" or "dpdk") launchers.Add(new MiniVmmLauncher(minivmm, steering, hashReport: false));
            if (options.Vmms is "both" or "minivmm") launchers.Add(new MiniVmmLauncher(minivmm, steering, hashReport: true));
            // Our front end on our back end process, next to the in-process NIC with the same steering in the same rounds (issue 10).
            if (options.Vmms is "both" or "minivmm" or "minivmm-vhost-user" or "dpdk") launchers.Add(new MiniVmmVhostUserLauncher(minivmm, steering));
        }
        // Our front end on DPDK's back end: a TX reference for the split (RX is not measured; DpdkVhostUserLauncher says why).
        if (options.Vmms is "dpdk") launchers.Add(new DpdkVhostUserLauncher(minivmm));
        foreach (ProbeVmLauncher l in launchers.ToArray())
        {
            if (l.Unavailable() is string why)
            {
                Console.WriteLine($"skipping {l.Label}: {why}");
                launchers.Remove(l);
            }
        }
        return launchers;
    }

    private static PeerResult RunOne(ProbeVmLauncher launcher, int queues, int round, string probe, long tscKhz, PeerBenchmarkOptions options)
    {
        try
        {
            (double txRate, string? txError, CpuSample? txCpu, CpuSample? txBackEndCpu, long txSent, long txKicks) = RunTx(launcher, queues, probe, tscKhz, options);
            if (txError is not null) return PeerResult.Failed(launcher.Label, queues, round, "TX: " + txError);
            PeerResult rx = launcher.MeasuresRx ? RunRx(launcher, queues, round, probe, tscKhz, options) : PeerResult.TxOnly(launcher.Label, queues, round);
            return rx with { TxRate = txRate, TxCpu = txCpu, BackEndTxCpu = txBackEndCpu, TxSent = txSent, TxKicks = txKicks };
        }
        catch (Exception e)
        {
            return PeerResult.Failed(launcher.Label, queues, round, e.Message);
        }
    }

    /// <summary>Guest TX: one job of frames/queues frames per queue, one after the other; nothing else runs.</summary>
    private static (double Rate, string? Error, CpuSample? Cpu, CpuSample? BackEndCpu, long Sent, long Kicks) RunTx(ProbeVmLauncher launcher, int queues, string probe, long tscKhz, PeerBenchmarkOptions options)
    {
        long perQueue = options.Frames / queues;
        string tx = string.Join(",", Enumerable.Range(0, queues).Select(q => $"{q}:{perQueue}:{options.FrameBytes}"));
        return WithVm<(double, string?, CpuSample?, CpuSample?, long, long)>(launcher, queues, options, probe, ProbeArgs(launcher, queues, tscKhz, options, $"expect=0 tx={tx}"), 0, (vm, _) =>
        {
            if (!vm.WaitFor(v => v.Report.Done, TimeSpan.FromSeconds(60 + options.Frames / 10_000)))
            {
                return (0.0, $"no 'probe: done' ({vm.Tail()})", null, null, 0, -1);
            }
            if (vm.Rates.Tx.Count != queues || vm.Rates.Tx.Values.Any(t => t.Sent < perQueue))
            {
                return (0.0, $"TX jobs incomplete ({vm.Tail()})", null, null, 0, -1);
            }
            CpuSample? cpu = vm.CpuAtLastTx - vm.CpuAtReady;
            CpuSample? backEnd = vm.BackEndCpuAtLastTx - vm.BackEndCpuAtReady;
            return (vm.Rates.TxRate, null, cpu, backEnd, vm.Rates.Tx.Values.Sum(t => t.Sent), vm.Rates.TxKicks);
        });
    }

    /// <summary>
    /// Host-to-guest RX, measured as a drain: right after `probe: ready` the guest runs a TX job that
    /// only keeps it away from its RX rings (3x frames on queue 0) while the host fills the TAP's
    /// queues (txqueuelen = frames + 1024); then the guest polls and times first to last frame. The
    /// sender's speed and CPU use stay out of the measured interval (checked: FillOverlapped).
    /// </summary>
    private static PeerResult RunRx(ProbeVmLauncher launcher, int queues, int round, string probe, long tscKhz, PeerBenchmarkOptions options)
    {
        string args = ProbeArgs(launcher, queues, tscKhz, options, $"expect={options.Frames} idle=1000 wait=30000 tx=0:{3 * options.Frames}:{FrameBytes}");
        return WithVm(launcher, queues, options, probe, args, options.Frames + 1024, (vm, tap) =>
        {
            if (!vm.WaitFor(v => v.Report.ReadyCount > 0 || v.Report.Errors.Count > 0, TimeSpan.FromSeconds(90)) || vm.Report.Errors.Count > 0)
            {
                return PeerResult.Failed(launcher.Label, queues, round, $"no 'probe: ready' ({vm.Tail()})");
            }
            var sender = new HostFrameSender(tap, options.Senders);
            byte[][] frames = Enumerable.Range(0, 256).Select(Flow).ToArray();
            double senderRate = sender.Send(frames, options.Frames, _interruption?.Token ?? default);
            TimeSpan filledAt = vm.Elapsed;
            if (!vm.WaitFor(v => v.Report.Done, TimeSpan.FromSeconds(60 + options.Frames / 5_000)))
            {
                return PeerResult.Failed(launcher.Label, queues, round, $"no 'probe: done' ({vm.Tail()})");
            }
            bool overlapped = vm.FirstTxLineAt is not TimeSpan txEnd || txEnd < filledAt;
            return new PeerResult(launcher.Label, queues, round, vm.Rates.RxRate, 0, senderRate, options.Frames, vm.Rates.RxFrames, overlapped,
                vm.Rates.RxFrames == 0 ? "the guest received nothing" : null)
            {
                RxCpu = vm.CpuAtRxDone - vm.CpuAtFirstTx,
                BackEndRxCpu = vm.BackEndCpuAtRxDone - vm.BackEndCpuAtFirstTx,
            };
        });
    }

    /// <summary>Runs <paramref name="work"/> with a fresh TAP and the VMM on it; both go away afterwards, whatever happens.</summary>
    private static T WithVm<T>(ProbeVmLauncher launcher, int queues, PeerBenchmarkOptions options, string probe, string probeArgs, long txQueueLength, Func<ProbeVm, string, T> work)
    {
        string tap = HostInterface.UniqueName();
        try
        {
            lock (CurrentLock)
            {
                if (_interruption?.Requested == true) throw new OperationCanceledException("interrupted");
                _currentTap = tap;
            }
            HostInterface.CreateTap(tap, launcher.NeedsMultiQueueTap(queues), txQueueLength);
            using IProbeBackEnd? backEnd = launcher.StartBackEnd(tap, queues);
            using ProbeVm vm = ProbeVm.Start(launcher.StartInfo(probe, probeArgs, tap, queues), backEnd?.Pid);
            lock (CurrentLock) _currentVm = vm;
            T result = work(vm, tap);
            if (vm.Stderr.Contains("fallback to software RSS", StringComparison.Ordinal)) SoftwareRssSeen.Add(launcher.Label);
            return result;
        }
        finally
        {
            lock (CurrentLock) _currentVm = null;
            HostInterface.DeleteTap(tap);
            lock (CurrentLock) _currentTap = null;
        }
    }

    private static string ProbeArgs(ProbeVmLauncher launcher, int queues, long tscKhz, PeerBenchmarkOptions options, string rest) =>
        $"net=on quiet=1 tsc_khz={tscKhz} pairs={queues} hash={(launcher.HashReport ? "on" : "off")} event_idx={(options.EventIdx ? "on" : "off")} {rest} exit=0";

    private static string Describe(int round, PeerResult r) => r.Error is not null
        ? $"  round {round} {r.Label,-27} q={r.Queues}: FAILED: {r.Error}"
        : r.Sent == 0 ? $"  round {round} {r.Label,-27} q={r.Queues}: rx not measured, tx {r.TxRate / 1e3,8:F1} kpps {Ns(r, "TX")}, {r.TxKicks} kicks"
        : $"  round {round} {r.Label,-27} q={r.Queues}: rx {r.RxRate / 1e3,8:F1} kpps {Ns(r, "RX")} ({r.Received}/{r.Sent} frames; host filled the TAP at {r.SenderRate / 1e3:F1} kpps" +
          $"{(r.FillOverlapped ? ", STILL FILLING when the guest started: sender in the measurement" : "")}), tx {r.TxRate / 1e3,8:F1} kpps {Ns(r, "TX")}, {r.TxKicks} kicks";

    private static string Ns(PeerResult r, string direction) =>
        r.VmmNsPerPacket(direction) is double vmm
            ? $"[VMM {vmm:F0} ns/pkt outside vCPU, {r.TotalNsPerPacket(direction):F0} all threads{(r.BackEndNsPerPacket(direction) is double b ? $", back end {b:F0}" : "")}]"
            : "[cpu n/a]";

    /// <summary>A 64-byte IPv4/UDP frame to the probe's MAC; flows differ in source address and port.</summary>
    private static byte[] Flow(int flow) => new FrameBuilder()
        .WithMacs(GuestMac, HostMac)
        .IPv4($"10.12.{flow / 16}.{flow % 16 + 1}", "10.12.255.2")
        .Udp((ushort)(20000 + flow * 7), 9)
        .WithPayloadLength(FrameBytes - 42)
        .Build();

    /// <summary>The TSC rate the probe should use: "cpu MHz" of /proc/cpuinfo (tsc_known_freq hosts report the TSC's).</summary>
    private static long TscKilohertz()
    {
        foreach (string line in File.ReadLines("/proc/cpuinfo"))
        {
            if (line.StartsWith("cpu MHz", StringComparison.Ordinal))
            {
                return (long)(double.Parse(line[(line.IndexOf(':') + 1)..], CultureInfo.InvariantCulture) * 1000);
            }
        }
        throw new InvalidOperationException("/proc/cpuinfo has no 'cpu MHz' line");
    }

    private static string? RepoRoot()
    {
        foreach (string start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (string? dir = start; dir is not null; dir = Path.GetDirectoryName(dir))
            {
                if (File.Exists(Path.Combine(dir, "MiniVmm.sln"))) return dir;
            }
        }
        return null;
    }

    /// <summary>A signal: kill the running VMM and delete its TAP now; the loop then stops.</summary>
    private static void OnInterrupt()
    {
        lock (CurrentLock)
        {
            _currentVm?.Dispose();
            if (_currentTap is not null) HostInterface.DeleteTap(_currentTap);
        }
    }
}
