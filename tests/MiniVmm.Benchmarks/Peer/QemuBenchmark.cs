using System.Diagnostics;
using System.Globalization;
using MiniVmm.Benchmarks.Tap;
using MiniVmm.Virtio.Net.Packets;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// The same probe guest under qemu-system-x86_64 and under MiniVmm (issue 5 item 5): host-to-guest
/// RX and guest-to-host TX frames per second with 64-byte frames, for 1, 2 and 4 queues, as the
/// guest measures them (quiet=1 totals, TSC-timed), and the ratios MiniVmm/QEMU.
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

        Console.CancelKeyPress += OnCancel;
        try
        {
            Console.WriteLine($"qemu benchmark: probe {probe}, {FrameBytes}-byte frames, {options.Frames} frames per direction and run, " +
                $"{options.Senders} sender thread(s), median of {options.Rounds} round(s), tsc_khz={tscKhz} (/proc/cpuinfo)");
            Console.WriteLine($"start: {HostInterface.LoadAverage()}");
            var results = new List<PeerResult>();
            for (int round = 1; round <= options.Rounds; round++)
            {
                foreach (int queues in options.Queues)
                {
                    foreach (ProbeVmLauncher launcher in launchers)
                    {
                        PeerResult r = RunOne(launcher, queues, probe, tscKhz, options);
                        results.Add(r);
                        Console.WriteLine(Describe(round, r));
                    }
                }
            }
            Console.WriteLine($"end: {HostInterface.LoadAverage()}");
            PeerTable.Print(results, options.Queues, launchers.Select(l => l.Label).ToArray());
            return results.Any(r => r.Error is not null) ? 1 : 0;
        }
        finally
        {
            Console.CancelKeyPress -= OnCancel;
        }
    }

    private static List<ProbeVmLauncher> Launchers(PeerBenchmarkOptions options, string minivmm)
    {
        var launchers = new List<ProbeVmLauncher>();
        if (options.Vmms is "both" or "qemu")
        {
            launchers.Add(new QemuLauncher(hashReport: false));
            launchers.Add(new QemuLauncher(hashReport: true));
        }
        if (options.Vmms is "both" or "minivmm")
        {
            foreach (string steering in options.Steering)
            {
                launchers.Add(new MiniVmmLauncher(minivmm, steering, hashReport: false));
                launchers.Add(new MiniVmmLauncher(minivmm, steering, hashReport: true));
            }
        }
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

    private static PeerResult RunOne(ProbeVmLauncher launcher, int queues, string probe, long tscKhz, PeerBenchmarkOptions options)
    {
        string tap = HostInterface.UniqueName();
        try
        {
            lock (CurrentLock) _currentTap = tap;
            HostInterface.CreateTap(tap, launcher.NeedsMultiQueueTap(queues));
            long perQueue = options.Frames / queues;
            string tx = string.Join(",", Enumerable.Range(0, queues).Select(q => $"{q}:{perQueue}:{FrameBytes}"));
            string probeArgs = $"net=on quiet=1 tsc_khz={tscKhz} pairs={queues} hash={(launcher.HashReport ? "on" : "off")} " +
                $"expect={options.Frames} idle=1000 wait=30000 tx={tx} exit=0";
            using ProbeVm vm = ProbeVm.Start(launcher.StartInfo(probe, probeArgs, tap, queues));
            lock (CurrentLock) _currentVm = vm;

            if (!vm.WaitFor(v => v.Report.ReadyCount > 0 || v.Report.Errors.Count > 0, TimeSpan.FromSeconds(90)) || vm.Report.Errors.Count > 0)
            {
                return PeerResult.Failed(launcher.Label, queues, $"no 'probe: ready' ({vm.Tail()})");
            }
            // The guest's TX jobs run first (2 s without progress ends a job, so this is bounded).
            if (!vm.WaitFor(v => v.Rates.Tx.Count == queues, TimeSpan.FromSeconds(60 + options.Frames / 10_000)))
            {
                return PeerResult.Failed(launcher.Label, queues, $"TX jobs did not finish ({vm.Tail()})");
            }
            using var stopSending = new CancellationTokenSource();
            var sender = new HostFrameSender(tap, options.Senders);
            byte[][] frames = Enumerable.Range(0, 256).Select(Flow).ToArray();
            Task<double> sending = Task.Run(() => sender.Send(frames, options.Frames, stopSending.Token));
            // The probe ends its RX phase after all frames, or 1 s after the last one, or 30 s without any.
            bool done = vm.WaitFor(v => v.Report.Done, TimeSpan.FromSeconds(45 + options.Frames / 10_000));
            stopSending.Cancel();
            double senderRate = sending.Wait(TimeSpan.FromSeconds(30)) ? sending.Result : 0;
            if (!done) return PeerResult.Failed(launcher.Label, queues, $"no 'probe: done' ({vm.Tail()})");

            string? problem = vm.Rates.Tx.Values.Any(t => t.Sent < perQueue) ? "some TX jobs timed out" : null;
            if (vm.Stderr.Contains("fallback to software RSS", StringComparison.Ordinal)) Console.WriteLine($"  {launcher.Label}: QEMU says \"Can't load eBPF RSS - fallback to software RSS\"");
            return new PeerResult(launcher.Label, queues, vm.Rates.RxRate, vm.Rates.TxRate, senderRate,
                options.Frames, vm.Rates.RxFrames, problem);
        }
        catch (Exception e)
        {
            return PeerResult.Failed(launcher.Label, queues, e.Message);
        }
        finally
        {
            lock (CurrentLock) _currentVm = null;
            HostInterface.DeleteTap(tap);
            lock (CurrentLock) _currentTap = null;
        }
    }

    private static string Describe(int round, PeerResult r) => r.Error is not null
        ? $"  round {round} {r.Label,-22} q={r.Queues}: FAILED: {r.Error}"
        : $"  round {round} {r.Label,-22} q={r.Queues}: rx {r.RxRate / 1e3,8:F1} kpps ({r.Received}/{r.Sent} frames, sender {r.SenderRate / 1e3:F1} kpps" +
          $"{(r.SenderBound ? ", SENDER-BOUND: the ratio says little" : "")}), tx {r.TxRate / 1e3,8:F1} kpps";

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

    /// <summary>Ctrl-C: kill the running VMM and delete its TAP before the process ends.</summary>
    private static void OnCancel(object? sender, ConsoleCancelEventArgs e)
    {
        lock (CurrentLock)
        {
            _currentVm?.Dispose();
            if (_currentTap is not null) HostInterface.DeleteTap(_currentTap);
        }
    }
}
