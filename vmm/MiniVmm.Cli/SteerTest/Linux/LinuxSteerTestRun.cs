using System.Globalization;
using System.Text.RegularExpressions;
using MiniVmm.HostNet;
using MiniVmm.HostNet.VhostUser;
using MiniVmm.Rss;
using MiniVmm.Rss.Packets;

namespace MiniVmm.Cli.SteerTest.Linux;

/// <summary>
/// steer-test with the real Linux driver: a vhost-user-net back end (the TAP, its steering and our
/// device, in this process) and Linux 6.1's virtio_net in User-Mode Linux as its front end. The
/// guest configures RSS with ethtool as a user would; once it says its observer is ready, the rig
/// reads the RSS configuration the device actually received, computes with the managed classifier
/// where each frame must land and with which hash, sends the flow set into the TAP, and compares
/// with what the guest's stack saw per frame (queue and skb hash, from an eBPF socket filter).
/// </summary>
public sealed partial class LinuxSteerTestRun(SteerTestOptions options, UmlTools tools, TextWriter log)
{
    private readonly object _lock = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly List<ProbeRxEvent> _received = [];
    private readonly List<string> _console = [];
    private int _ready;
    private int? _exitStatus;
    private UmlProcess? _uml;

    public string BackendName { get; private set; } = "";
    public string BackendReason { get; private set; } = "";

    /// <summary>What the rig learnt about the guest's configuration, one line each (printed with the table).</summary>
    public List<string> Notes { get; } = [];

    public List<string> Errors { get; } = [];

    /// <summary>The TAP of the run, once created.</summary>
    public Tap? Tap { get; private set; }

    /// <summary>The RSS configuration the driver had set when each phase's frames were sent.</summary>
    public List<RssConfiguration> Configurations { get; } = [];

    /// <summary>The signal <see cref="Stop"/> was given (SIGINT, SIGTERM), or null.</summary>
    public int? StoppedBy { get; private set; }

    /// <summary>
    /// Ends the run early from another thread (a signal arrived): the guest is killed, the waits and
    /// the sender give up, and <see cref="Execute"/> returns after removing the back end, its TAP and
    /// the temporary directory.
    /// </summary>
    public void Stop(int signal)
    {
        UmlProcess? uml;
        lock (_lock)
        {
            StoppedBy ??= signal;
            uml = _uml;
            Monitor.PulseAll(_lock);
        }
        _stop.Cancel();
        uml?.Kill();
    }

    /// <summary>The guest's console, for diagnostics.</summary>
    public IReadOnlyList<string> Console
    {
        get { lock (_lock) return [.. _console]; }
    }

    public SteerTestResult Execute()
    {
        (IReadOnlyList<SteeringFlow> phase1, IReadOnlyList<SteeringFlow> phase2) = SteerTestRun.FlowSets(options);
        var expected = new List<FlowExpectation>();
        DateTime deadline = DateTime.UtcNow.AddSeconds(options.TimeoutSeconds);
        DirectoryInfo dir = Directory.CreateTempSubdirectory("minivmm-linux-");
        try
        {
            string socket = Path.Combine(dir.FullName, "net0.sock");
            string script = Path.Combine(dir.FullName, "rig.sh");
            var net = new NetworkOptions
            {
                TapName = options.TapName ?? $"mvsl{Environment.ProcessId % 100000}",
                Queues = options.Queues,
                HashReport = options.HashReport,
                Steering = options.Steering,
            };
            using VhostUserNetServer server = VhostUserNetServer.Start(net, socket, BackEndLine);
            Tap = server.Backend.Tap;
            BackendName = MiniVmm.HostNet.Steering.SteeringSelector.Name(server.Backend.Choice.Kind);
            BackendReason = server.Backend.Choice.LogLine;
            FlowSender.DisableIPv6(Tap.Name);
            int timeoutMs = (int)Math.Min(int.MaxValue, (deadline - DateTime.UtcNow).TotalMilliseconds);
            File.WriteAllText(script, LinuxGuestScript.Build(options, tools.FrameObserver, phase1.Count, phase2.Count, timeoutMs));

            using (UmlProcess uml = UmlProcess.Start(tools, script, [$"virtio_uml.device={socket}:1"], Accept))
            using (PacketInjector injector = PacketInjector.Open(Tap.Name))
            {
                lock (_lock) _uml = uml;
                if (_stop.IsCancellationRequested) uml.Kill(); // a signal came while it started
                foreach ((int phase, IReadOnlyList<SteeringFlow> flows) in new[] { (1, phase1), (2, phase2) })
                {
                    if (flows.Count == 0 || !WaitForReady(phase, uml, deadline)) break;
                    RssConfiguration? config = server.Runtime.Device.Steering.Configuration;
                    if (config is null)
                    {
                        Errors.Add($"phase {phase}: the driver sent no RSS configuration");
                        break;
                    }
                    Configurations.Add(config);
                    Notes.Add(Describe(phase, config));
                    expected.AddRange(SteerTestRun.Expect(flows, config));
                    FlowSender.Send(injector, server.Runtime.Device, flows, $"phase {phase}", deadline, log, _stop.Token);
                }
                if (!uml.WaitForExit(Remaining(deadline))) Errors.Add($"the Linux guest did not finish within {options.TimeoutSeconds} s");
                lock (_lock) _uml = null;
            }
            lock (_lock)
            {
                if (_exitStatus is int status && status != 0) Errors.Add($"the guest's script ended with status {status}{FailedStep()}");
                else if (_exitStatus is null && Errors.Count == 0) Errors.Add("the Linux guest stopped before its script ended" + LastLines());
                return SteerTestComparison.Compare(expected, [.. _received], options.Queues, options.HashReport, checkReportType: false);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>One line on what the driver configured: what a reader compares with their ethtool commands.</summary>
    private static string Describe(int phase, RssConfiguration c)
    {
        int[] shares = new int[c.IndirectionTable.Max() + 1];
        foreach (ushort q in c.IndirectionTable) shares[q]++;
        return string.Create(CultureInfo.InvariantCulture,
            $"phase {phase}: the driver set hash types 0x{(uint)c.HashTypes:x3} ({c.HashTypes}), key {Convert.ToHexString(c.Key[..Math.Min(8, c.Key.Length)]).ToLowerInvariant()}..., " +
            $"{c.IndirectionTable.Length} table entries (per queue {string.Join('/', shares)}), unclassified queue {c.UnclassifiedQueue}");
    }

    private void BackEndLine(string line)
    {
        if (line.Contains("failed", StringComparison.Ordinal) || line.Contains("refused", StringComparison.Ordinal))
            log.WriteLine($"steer-test: back end: {line}");
    }

    private void Accept(string line)
    {
        lock (_lock)
        {
            _console.Add(line);
            if (ObserverLine.TryParse(line) is ProbeRxEvent rx && rx.FrameId >= 0) _received.Add(rx);
            else if (line.StartsWith("obs ready ", StringComparison.Ordinal)) _ready++;
            else if (ExitLine().Match(line) is { Success: true } m) _exitStatus = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            Monitor.PulseAll(_lock);
        }
    }

    private bool WaitForReady(int phase, UmlProcess uml, DateTime deadline)
    {
        lock (_lock)
        {
            while (_ready < phase)
            {
                if (StoppedBy is not null) return false;
                if (_exitStatus is not null || uml.HasExited || DateTime.UtcNow >= deadline)
                {
                    Errors.Add($"the guest's frame observer never said it was ready for phase {phase}");
                    return false;
                }
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(100));
            }
            return true;
        }
    }

    private string FailedStep() =>
        _console.LastOrDefault(l => l.StartsWith("linux-rig: failed: ", StringComparison.Ordinal)) is string f ? $" ({f["linux-rig: ".Length..]})" : "";

    private string LastLines() => "; its last console lines:\n  " + string.Join("\n  ", _console.TakeLast(10));

    private static TimeSpan Remaining(DateTime deadline)
    {
        TimeSpan left = deadline - DateTime.UtcNow;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    [GeneratedRegex(@"^uml-init: exit (\d+)$")]
    private static partial Regex ExitLine();
}
