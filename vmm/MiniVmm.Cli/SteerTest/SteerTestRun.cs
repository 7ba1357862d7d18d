using System.Globalization;
using MiniVmm.HostNet;
using MiniVmm.HostNet.VhostUser;
using MiniVmm.Virtio.Net;
using MiniVmm.Machine;
using MiniVmm.HostNet.VhostNet;
using MiniVmm.Machine.Net;
using MiniVmm.Rss.Packets;
using MiniVmm.Rss;

namespace MiniVmm.Cli.SteerTest;

/// <summary>
/// One steer-test run: a TAP with N queues, the probe guest on MiniVmm's virtio-net, the flow set
/// (or a capture's frames, --replay) sent from the host side with AF_PACKET, and every frame checked against the queue and hash the
/// managed classifier (virtio 1.2 §5.1.6.4.3) says. With a second table or key, the probe switches
/// its RSS configuration at run time and the flows are sent again.
/// </summary>
public sealed class SteerTestRun(SteerTestOptions options, TextWriter log)
{
    private readonly ProbeReport _report = new();
    private readonly object _lock = new();

    public string BackendName { get; private set; } = "";
    public string BackendReason { get; private set; } = "";

    /// <summary>
    /// Frames to send in phase 1 instead of the standard flow set, each with the queue, hash and
    /// report it must arrive with (tests use published vectors this way).
    /// </summary>
    public IReadOnlyList<(SteeringFlow Flow, FlowExpectation Expected)>? CustomFlows { get; init; }

    /// <summary>The TAP of the run, once created (tests look at its per-queue counters).</summary>
    public Tap? Tap { get; private set; }

    /// <summary>Serial lines that were not part of the protocol (kept for diagnostics on failure).</summary>
    public List<string> OtherLines { get; } = new();

    public SteerTestResult Execute()
    {
        (IReadOnlyList<SteeringFlow> standard1, IReadOnlyList<SteeringFlow> phase2) = FlowSets(options);
        IReadOnlyList<SteeringFlow> phase1 = CustomFlows?.Select(c => c.Flow).ToList() ?? standard1;
        IEnumerable<FlowExpectation> expected1 = CustomFlows?.Select(c => c.Expected) ?? Expect(phase1, options.Phase1);
        var expected = expected1.Concat(Expect(phase2, options.Phase2)).ToList();

        string tapName = options.TapName ?? $"mvst{Environment.ProcessId % 100000}";
        var net = new NetworkOptions
        {
            TapName = tapName,
            Queues = options.Queues,
            HashReport = options.HashReport,
            Steering = options.Steering,
            Vhost = options.Vhost,
        };
        // --vhost-user: the TAP and the steering live in a vhost-user back end (the vhost-user-net
        // command's classes, in this process) and the VM reaches it over a real socket, as `run` does.
        string socket = Path.Combine(Path.GetTempPath(), $"minivmm-steer-{Environment.ProcessId}.sock");
        using VhostUserNetServer? server = options.VhostUser
            ? VhostUserNetServer.Start(net, socket, line => { if (line.Contains("failed") || line.Contains("refused")) log.WriteLine($"steer-test: back end: {line}"); })
            : null;
        using Machine.Machine machine = Machine.Machine.Create(new MachineOptions
        {
            KernelPath = options.ProbePath ?? DefaultProbePath(),
            CommandLine = ProbeCommandLine(phase1.Count, phase2.Count),
            CpuCount = 1,
            MemoryBytes = 256UL << 20,
            SerialOutput = new SerialLineStream(Accept),
            ForwardStdin = false,
            SharedMemory = server is not null,
        });
        TapNetBackend backend;
        VirtioNetDevice dataPath;
        if (server is not null)
        {
            VhostUserNetAttachment.Create(machine, new NetworkOptions { VhostUserPath = socket, Queues = options.Queues }, line => log.WriteLine($"steer-test: {line}"));
            (backend, dataPath) = (server.Backend, server.Runtime.Device);
        }
        else
        {
            // With vhost=, the data path line comes from the vCPU at DRIVER_OK.
            VirtioNetAttachment nic = VirtioNetAttachment.Create(machine, net,
                log: options.Vhost == VhostRequest.Off ? null : line => { lock (log) log.WriteLine($"minivmm: {line}"); });
            (backend, dataPath) = (nic.Backend, nic.Device);
        }
        Tap = backend.Tap;
        BackendName = MiniVmm.HostNet.Steering.SteeringSelector.Name(backend.Choice.Kind);
        BackendReason = backend.Choice.LogLine;
        FlowSender.DisableIPv6(backend.Tap.Name);

        int status = 0;
        var vm = new Thread(() => status = machine.Run()) { Name = "steer-test-vm", IsBackground = true };
        vm.Start();
        var deadline = DateTime.UtcNow.AddSeconds(options.TimeoutSeconds);
        using (PacketInjector injector = PacketInjector.Open(backend.Tap.Name))
        {
            if (WaitForReady(1, machine, deadline)) FlowSender.Send(injector, dataPath, phase1, "phase 1", deadline, log);
            if (phase2.Count > 0 && WaitForReady(2, machine, deadline)) FlowSender.Send(injector, dataPath, phase2, "phase 2", deadline, log);
        }
        if (!vm.Join(Remaining(deadline)))
        {
            machine.Stop.Fail($"the probe did not finish within {options.TimeoutSeconds} s");
            vm.Join(TimeSpan.FromSeconds(10));
        }
        if (machine.Stop.Error is string error) _report.Errors.Add($"vm: {error}");
        else if (status != 1) _report.Errors.Add($"vm: the probe ended with status {status}, not 1 (probe exit 0)");

        lock (_lock)
        {
            return SteerTestComparison.Compare(expected, _report.Received.ToList(), options.Queues, options.HashReport);
        }
    }

    public IReadOnlyList<string> Errors => _report.Errors;

    /// <summary>
    /// The frames of each phase: the standard flow set (about --frames of them, ids from 1), or a
    /// capture's (--replay); phase 2 (a second table or key) sends the same kinds again with ids from 1,000,001.
    /// </summary>
    internal static (IReadOnlyList<SteeringFlow> Phase1, IReadOnlyList<SteeringFlow> Phase2) FlowSets(SteerTestOptions options)
    {
        int perKind = Math.Max(1, (options.Frames - 14 + 3) / 4);
        IReadOnlyList<SteeringFlow> phase1 = options.Replay?.Flows(1) ?? SteeringFlowSet.Build(1, perKind);
        IReadOnlyList<SteeringFlow> phase2 = options.SecondPhase ? options.Replay?.Flows(1_000_001) ?? SteeringFlowSet.Build(1_000_001, perKind) : [];
        return (phase1, phase2);
    }

    /// <summary>What the spec says for each frame, from the managed classifier.</summary>
    internal static IEnumerable<FlowExpectation> Expect(IReadOnlyList<SteeringFlow> flows, RssConfiguration config) =>
        flows.Select(f =>
        {
            RssResult r = RssHasher.Compute(f.Frame, config);
            return new FlowExpectation(f.Id, f.Kind, r.Queue, r.HashValue, (int)r.HashReport);
        });

    private string ProbeCommandLine(int expect1, int expect2)
    {
        RssConfiguration c = options.Phase1;
        var words = new List<string>
        {
            $"pairs={options.Queues}",
            $"hash={(options.HashReport ? "on" : "off")}",
            $"key={Convert.ToHexString(c.Key).ToLowerInvariant()}",
            $"table={string.Join(',', c.IndirectionTable)}",
            $"types=0x{(uint)c.HashTypes:x}",
            $"unclassified={c.UnclassifiedQueue}",
            $"expect={expect1}",
            "idle=3000",
            "wait=30000",
        };
        if (expect2 > 0)
        {
            RssConfiguration c2 = options.Phase2;
            words.Add($"key2={Convert.ToHexString(c2.Key).ToLowerInvariant()}");
            words.Add($"table2={string.Join(',', c2.IndirectionTable)}");
            words.Add($"expect2={expect2}");
        }
        return string.Join(' ', words);
    }

    private void Accept(string line)
    {
        lock (_lock)
        {
            if (!_report.Accept(line)) OtherLines.Add(line);
            Monitor.PulseAll(_lock);
        }
    }

    private bool WaitForReady(int phase, Machine.Machine machine, DateTime deadline)
    {
        lock (_lock)
        {
            while (_report.ReadyCount < phase)
            {
                if (machine.Stop.IsRequested || DateTime.UtcNow >= deadline)
                {
                    _report.Errors.Add($"the probe never said it was ready for phase {phase}");
                    return false;
                }
                Monitor.Wait(_lock, TimeSpan.FromMilliseconds(100));
            }
            return true;
        }
    }

    private static TimeSpan Remaining(DateTime deadline)
    {
        TimeSpan left = deadline - DateTime.UtcNow;
        return left > TimeSpan.Zero ? left : TimeSpan.Zero;
    }

    /// <summary>build.sh leaves the probe at out/guest-images/probe.elf, beside out/bin/minivmm.</summary>
    public static string DefaultProbePath() =>
        Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "..", "guest-images", "probe.elf"));
}
