using System.CommandLine;
using MiniVmm.Cli.Captures;
using MiniVmm.Cli.CommandLine;
using MiniVmm.Cli.SteerTest;
using MiniVmm.Cli.SteerTest.Linux;
using MiniVmm.Rss;
using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.HostNet.VhostNet;
using MiniVmm.Machine.Boot;
using MiniVmm.Native.Signals;

namespace MiniVmm.Cli.Commands;

/// <summary>minivmm steer-test: prove every flow lands on the queue the virtio spec says, with the right hash.</summary>
public static class SteerTestCommand
{
    public static DocumentedCommand Create(CliConsole console)
    {
        var o = new Declared();
        var command = new DocumentedCommand("steer-test", "prove every flow lands on the queue RSS says, with the right hash (boots the probe guest)",
            [
                "minivmm steer-test                                  # 4 queues, steering auto, hash report on",
                "minivmm steer-test -q 8 --steering software --json",
                "minivmm steer-test --table 0,0,1,1 --table2 1,1,0,0 --queues 2   # switch tables at run time",
                "minivmm steer-test --replay traffic.pcapng -q 4    # your own traffic, per queue expected vs received",
                "minivmm steer-test --vhost-user -q 4               # the probe's NIC over vhost-user, the TAP in a vhost-user-net back end",
                "minivmm steer-test --hash-report off --vhost on     # the kernel's vhost-net carries the packets (docs/VHOST.md)",
                "minivmm steer-test --guest linux -q 4               # Linux 6.1's virtio_net (User-Mode Linux) drives the device over vhost-user",
                "minivmm steer-test --guest linux --table2 0,1 --key2 KEY   # and ethtool -X sets a second table and key at run time",
            ],
            """
            Creates a TAP with N queues, boots the probe guest on MiniVmm's virtio-net, sends a flow set
            from the host (IPv4/IPv6, TCP/UDP, VLAN and QinQ tags, IPv4 options and fragments, IPv6
            extension headers with home address and type-2 routing header, ICMP, ARP, many flows) and
            checks that every frame arrives on the queue RSS says (table[hash & mask], or the
            unclassified queue) with the hash and hash type the spec says.
            With --guest linux the driver is Linux 6.1's virtio_net in User-Mode Linux, configured
            with ethtool (-L combined N, -K rxhash on, -N rx-flow-hash ... sdfn, -X equal N hkey KEY),
            over vhost-user to a vhost-user-net back end in this process; each frame's queue and hash
            are read inside the guest, and checked against the configuration the driver sent.
            Exit status: 0 only if every frame matched; 2 for bad input; 1 otherwise.
            """)
        {
            o.Queues, o.Frames, o.Steering.Option, o.HashReport.Option, o.Vhost.Option, o.Key, o.Types.Option, o.Table, o.Unclassified, o.Table2, o.Key2,
            o.Tap, o.Probe, o.Timeout, o.Replay, o.VhostUser, o.Guest.Option, o.Json,
        };
        command.SetAction(parse => Execute(console, new SteerTestOptions
        {
            Queues = parse.GetValue(o.Queues),
            Frames = parse.GetValue(o.Frames),
            Steering = o.Steering.Get(parse),
            HashReport = o.HashReport.Get(parse),
            Vhost = o.Vhost.Get(parse),
            Key = parse.GivenValue(o.Key) ?? RssConfiguration.DefaultKey.ToArray(),
            HashTypes = o.Types.Get(parse),
            Table = parse.GivenValue(o.Table),
            Unclassified = parse.GetValue(o.Unclassified),
            Table2 = parse.GivenValue(o.Table2),
            Key2 = parse.GivenValue(o.Key2),
            TapName = parse.GivenValue(o.Tap),
            ProbePath = parse.GivenValue(o.Probe),
            TimeoutSeconds = parse.GetValue(o.Timeout),
            Json = parse.GetValue(o.Json),
            VhostUser = parse.GetValue(o.VhostUser),
            Guest = o.Guest.Get(parse),
        }, parse.GivenValue(o.Replay), LinuxConflict(parse, o)));
        return command;
    }

    /// <summary>Runs the rig; <paramref name="replayFile"/> (--replay) is read first, so a bad capture creates nothing.</summary>
    public static int Execute(CliConsole console, SteerTestOptions options, string? replayFile = null, string? conflict = null)
    {
        if (conflict is not null) return ExitCodes.Usage(console.Error, conflict);
        if (replayFile is not null)
        {
            try
            {
                options = options with { Replay = CaptureReplay.Load(replayFile) };
            }
            catch (CaptureFormatException e) { return ExitCodes.Usage(console.Error, e.Message); }
            if (options.Replay.Sent == 0) return ExitCodes.Usage(console.Error, $"{options.Replay.Summary}: nothing to replay");
        }
        // Checks across options (the parse has already checked each value on its own).
        foreach (ushort[]? table in new[] { options.Table, options.Table2 })
        {
            if (table?.FirstOrDefault(q => q >= options.Queues) is ushort bad && bad >= options.Queues)
                return ExitCodes.Usage(console.Error, $"--table: queue {bad} does not exist with --queues {options.Queues}");
        }
        if (options.Unclassified >= options.Queues) return ExitCodes.Usage(console.Error, $"--unclassified {options.Unclassified}: only {options.Queues} queues");
        if (options.Guest == SteerTestGuest.Linux) return ExecuteLinux(console, options, UmlTools.Default());
        try
        {
            KernelLoader.Inspect(options.ProbePath ?? SteerTestRun.DefaultProbePath());
        }
        catch (BootImageException e) { return ExitCodes.Usage(console.Error, $"{e.Message} (build it with ./build.sh, or pass --probe FILE)"); }

        var run = new SteerTestRun(options, console.Error);
        SteerTestResult result;
        try
        {
            result = run.Execute();
        }
        catch (TapException e) { return ExitCodes.Usage(console.Error, e.Message); }
        catch (SteeringUnavailableException e) { return ExitCodes.Usage(console.Error, e.Message); }
        catch (VhostNetUnavailableException e) { return ExitCodes.Usage(console.Error, e.Message); }
        catch (Exception e) { return ExitCodes.Failure(console.Error, $"steer-test: {e.Message}"); }

        if (options.Json) SteerTestRenderer.WriteJson(result, run.BackendName, run.BackendReason, console.Out, options.Replay);
        else SteerTestRenderer.WriteTable(result, run.BackendReason, console.Out, options.Replay);
        foreach (string error in run.Errors) console.Error.WriteLine($"minivmm: steer-test: {error}");
        return result.Passed && run.Errors.Count == 0 ? ExitCodes.Success : ExitCodes.HostFailure;
    }

    /// <summary>The Linux rig (--guest linux): checked like the probe's, with the notes on what the driver configured.</summary>
    public static int ExecuteLinux(CliConsole console, SteerTestOptions options, UmlTools tools)
    {
        if (options.Key.Length != RssConfiguration.MaxKeyBytes || options.Key2 is { Length: not RssConfiguration.MaxKeyBytes })
            return ExitCodes.Usage(console.Error, $"--key: ethtool sets a key of the device's size, {RssConfiguration.MaxKeyBytes} bytes, with --guest linux");
        if (tools.Problem() is string missing) return ExitCodes.Usage(console.Error, missing);
        var run = new LinuxSteerTestRun(options, tools, console.Error);
        SteerTestResult result;
        // Ctrl-C or SIGTERM ends the run early but cleanly: the guest is killed, and the back end,
        // its TAP and BPF program and the temporary directory go before the exit (128 + signal).
        using (var signals = new TerminationSignals())
        {
            var finished = new ManualResetEventSlim();
            var watcher = new Thread(() =>
            {
                while (!finished.IsSet)
                {
                    if (signals.Wait(TimeSpan.FromMilliseconds(200)) is int signal) run.Stop(signal);
                }
            }) { Name = "steer-test-signals", IsBackground = true };
            watcher.Start();
            try
            {
                result = run.Execute();
            }
            catch (TapException e) { return ExitCodes.Usage(console.Error, e.Message); }
            catch (SteeringUnavailableException e) { return ExitCodes.Usage(console.Error, e.Message); }
            catch (Exception e) { return ExitCodes.Failure(console.Error, $"steer-test: {e.Message}"); }
            finally
            {
                finished.Set();
                watcher.Join();
            }
        }
        if (run.StoppedBy is int stoppedBy)
        {
            console.Error.WriteLine($"minivmm: steer-test: stopped by signal {stoppedBy}");
            return 128 + stoppedBy;
        }

        List<string> notes = [LinuxNote, .. run.Notes];
        if (options.Json) SteerTestRenderer.WriteJson(result, run.BackendName, run.BackendReason, console.Out, options.Replay, "linux", notes);
        else SteerTestRenderer.WriteTable(result, run.BackendReason, console.Out, options.Replay, notes);
        foreach (string error in run.Errors) console.Error.WriteLine($"minivmm: steer-test: {error}");
        return result.Passed && run.Errors.Count == 0 ? ExitCodes.Success : ExitCodes.HostFailure;
    }

    /// <summary>What the Linux rig can and cannot see, said once with every report.</summary>
    private const string LinuxNote =
        "guest: Linux 6.1 virtio_net (User-Mode Linux) over vhost-user; queue and hash value read per frame in the guest " +
        "(the report type is not visible there); the driver masks off the _EX hash types and ethtool cannot turn them on";

    /// <summary>Options that mean nothing with --guest linux (the driver, not the rig, configures RSS there), or null.</summary>
    private static string? LinuxConflict(ParseResult parse, Declared o)
    {
        if (o.Guest.Get(parse) != SteerTestGuest.Linux) return null;
        if (parse.GetResult(o.Types.Option) is { Implicit: false }) return "--types: with --guest linux the driver picks the hash types (ethtool -N sets all but the _EX ones)";
        if (parse.GetResult(o.Unclassified) is { Implicit: false }) return "--unclassified: with --guest linux the driver picks the unclassified queue (ethtool cannot set it)";
        if (parse.GetResult(o.Probe) is { Implicit: false }) return "--probe: only with --guest probe";
        if (o.Vhost.Get(parse) != VhostRequest.Off) return "--vhost: with --guest linux the packets go through a vhost-user back end, not the kernel's vhost-net";
        return null;
    }

    /// <summary>steer-test's options, each declared once (name, help, default, parser).</summary>
    private sealed class Declared
    {
        public readonly Option<int> Queues = Declare.Value("--queues", "N", "queue pairs, 1 to 16", t => OptionValues.WholeNumber("--queues", t, 1, 16), 4, "-q");
        public readonly Option<int> Frames = Declare.Value("--frames", "N", "about how many frames to send", t => OptionValues.WholeNumber("--frames", t, 1, 100_000), 1000);
        public readonly TextOption<SteeringRequest> Steering = new TextOption<SteeringRequest>("steering", "MODE", string.Join("|", OptionValues.SteeringNames),
            t => OptionValues.Steering("--steering", t), "auto", "-s").Completing(OptionValues.SteeringNames);
        public readonly TextOption<bool> HashReport = new TextOption<bool>("hash-report", "on|off", "negotiate hash report and check the reported hashes",
            t => OptionValues.OnOff("--hash-report", t), "on").Completing("on", "off");
        public readonly TextOption<VhostRequest> Vhost = new TextOption<VhostRequest>("vhost", "on|off|auto",
            "the kernel's vhost-net carries the packets (auto: when the negotiated features let it); the data path line goes to stderr",
            t => OptionValues.Vhost("--vhost", t), "off").Completing("on", "off", "auto");
        public readonly Option<byte[]?> Key = Declare.Value<byte[]?>("--key", "HEX", "Toeplitz key, up to 40 bytes (default: the Microsoft verification key)", RssCommandOptions.ParseKey);
        public readonly TextOption<VirtioNetHashTypes> Types = new("types", "MASK|NAMES", "hash types: a number or names (ipv4,tcpv4,udpv4,ipv6,tcpv6,udpv6,ip_ex,tcp_ex,udp_ex,all)",
            RssCommandOptions.ParseTypes, "all");
        public readonly Option<ushort[]?> Table = Declare.Value<ushort[]?>("--table", "Q,Q,...", "indirection table, power-of-two length up to 128 (default: 128 entries over the queues)",
            RssCommandOptions.ParseTable);
        public readonly Option<ushort> Unclassified = Declare.Value("--unclassified", "Q", "queue for frames no hash type applies to",
            t => RssCommandOptions.ParseQueue(t, "--unclassified"), (ushort)0);
        public readonly Option<ushort[]?> Table2 = Declare.Value<ushort[]?>("--table2", "Q,Q,...", "a second table the probe switches to at run time; the flows are sent again",
            RssCommandOptions.ParseTable);
        public readonly Option<byte[]?> Key2 = Declare.Value<byte[]?>("--key2", "HEX", "a second key, likewise", RssCommandOptions.ParseKey);
        public readonly Option<string?> Tap = Declare.Value<string?>("--tap", "NAME", "TAP name (default mvst<pid>; created and removed)", t => t);
        public readonly Option<string?> Probe = Declare.Value<string?>("--probe", "FILE", "the probe image (default: out/guest-images/probe.elf beside this binary)", t => t);
        public readonly Option<int> Timeout = Declare.Value("--timeout", "SECONDS", "give up after this long", t => OptionValues.WholeNumber("--timeout", t, 5, 3600), 120);
        public readonly Option<string?> Replay = Declare.Value<string?>("--replay", "FILE",
            "send a capture's IPv4/IPv6 frames (pcap or pcapng, Ethernet) instead of the built-in flow set; others are skipped and counted", t => t);
        public readonly TextOption<SteerTestGuest> Guest = new TextOption<SteerTestGuest>("guest", "probe|linux",
            "the driver: our probe guest on MiniVmm's KVM machine, or Linux's virtio_net in User-Mode Linux over vhost-user",
            t => t switch
            {
                "probe" => SteerTestGuest.Probe,
                "linux" => SteerTestGuest.Linux,
                _ => throw new FormatException($"--guest {t}: must be probe or linux"),
            }, "probe").Completing("probe", "linux");
        public readonly Option<bool> Json = Declare.Flag("--json", "one JSON object: frames, mismatches, per-queue counts, back end and why", "-j");
        public readonly Option<bool> VhostUser = Declare.Flag("--vhost-user",
            "the probe's NIC over vhost-user (`run --net vhost-user=`), with the TAP and the steering in a vhost-user-net back end");
    }
}
