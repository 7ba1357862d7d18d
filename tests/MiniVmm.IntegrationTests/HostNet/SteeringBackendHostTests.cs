using MiniVmm.Bpf;
using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.IntegrationTests.Bpf;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Rss.Packets;
using MiniVmm.Rss;
using MiniVmm.Virtio.Net;

namespace MiniVmm.IntegrationTests.HostNet;

/// <summary>
/// The product steering back ends on a real multiqueue TAP: frames sent on the interface
/// (<see cref="PacketInjector"/>, AF_PACKET) must come out of <c>backend.PortOf(k).Read</c> for
/// exactly the k their table entry names. Expected queues: table[published hash &amp; mask] for
/// frames made from tests/vectors/toeplitz_msft.json (an independent oracle), the unclassified
/// queue for ARP, and <see cref="RssHasher"/> for the rest of the steer-test flow set. Each test
/// then installs a second table and checks the frames move with it.
/// </summary>
public sealed class SteeringBackendHostTests
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    private sealed record Expected(uint Id, string Kind, byte[] Frame, int Queue);

    [HostTheory(HostNeeds.Tap | HostNeeds.Bpf)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void Ebpf_hybrid_back_end_puts_every_frame_on_its_table_queue(int queues) =>
        Run(queues, Hybrid, SteeringBackendKind.EbpfHybrid);

    [HostTheory(HostNeeds.Tap)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void Software_back_end_puts_every_frame_on_its_table_queue(int queues) =>
        Run(queues, tap => new SoftwareSteeringBackend(tap), SteeringBackendKind.Software);

    /// <summary>
    /// docs/STEERING.md: "A queue beyond the active pair count (the guest shrank the pairs after
    /// setting the table) wraps modulo the active pairs, as the tun series does." A table over 4
    /// queues with only 2 of the TAP's 4 queues attached: each frame comes out of port entry % 2.
    /// </summary>
    [HostTheory(HostNeeds.Tap | HostNeeds.Bpf)]
    [InlineData(SteeringBackendKind.EbpfHybrid)]
    [InlineData(SteeringBackendKind.Software)]
    public void Table_entries_beyond_the_active_pairs_wrap(SteeringBackendKind kind)
    {
        const int queues = 4, active = 2;
        string name = TapTestKit.UniqueName();
        using (Tap tap = Tap.Create(name, queues))
        {
            using ISteeringBackend backend = kind == SteeringBackendKind.Software
                ? new SoftwareSteeringBackend(tap)
                : Hybrid(tap);
            using PacketInjector injector = PacketInjector.Open(tap.Name);
            RssConfiguration config = Configuration(queues, i => (i * 5 + 3) % queues);
            tap.SetActiveQueues(active);
            backend.Apply(new SteeringState(config, active, 1));

            List<Expected> frames = Frames(config, firstId: 1).Select(f => f with { Queue = f.Queue % active }).ToList();
            foreach (Expected f in frames) injector.Send(f.Frame);
            Dictionary<uint, (int Port, byte[] Frame)> seen = ReadAll(backend, queues, frames);
            var wrong = frames.Where(f => !seen.TryGetValue(f.Id, out var got) || got.Port != f.Queue)
                .Select(f => $"frame {f.Id} ({f.Kind}): port {(seen.TryGetValue(f.Id, out var got) ? got.Port : -1)}, expected {f.Queue}").ToList();
            Assert.True(wrong.Count == 0, $"{kind}: {wrong.Count} of {frames.Count} frames wrong:\n{string.Join("\n", wrong.Take(20))}");
        }
        TapTestKit.AssertRemoved(name);
    }

    private static ISteeringBackend Hybrid(Tap tap) => new HybridEbpfSteeringBackend(tap.Queues, new TapSteeringProgram(tap, RssSteeringProgram.LoadEmbedded()));

    /// <summary>
    /// The theories above cover ebpf-hybrid and software; a host whose probes offer another back end
    /// (kernel, ebpf-kfuncs) needs a test for it before it can be trusted, so this fails there.
    /// </summary>
    [HostFact(HostNeeds.Tap | HostNeeds.Bpf)]
    public void Every_back_end_available_here_is_covered()
    {
        var capabilities = new KernelSteeringCapabilities(new BpfSteeringProbe());
        var available = Enum.GetValues<SteeringBackendKind>().Where(k => SteeringSelector.Availability(k, capabilities).Available).ToList();
        Assert.Contains(SteeringBackendKind.Software, available);
        Assert.Contains(SteeringBackendKind.EbpfHybrid, available);
        Assert.True(available.All(k => k is SteeringBackendKind.Software or SteeringBackendKind.EbpfHybrid),
            $"back ends available here without a host test: {string.Join(", ", available)}");
    }

    private static void Run(int queues, Func<Tap, ISteeringBackend> create, SteeringBackendKind kind)
    {
        string name = TapTestKit.UniqueName();
        using (Tap tap = Tap.Create(name, queues))
        {
            using ISteeringBackend backend = create(tap);
            Assert.Equal(kind, backend.Kind);
            using PacketInjector injector = PacketInjector.Open(tap.Name);

            RssConfiguration first = Configuration(queues, i => (i * 5 + 3) % queues);
            backend.Apply(new SteeringState(first, queues, 1));
            SendAndCheck(backend, injector, queues, first, firstId: 1);

            // A new RSS_CONFIG (another table and unclassified queue) must take effect for the next frames.
            RssConfiguration second = Configuration(queues, i => (queues - 1) - (i * 3 + 1) % queues) with { UnclassifiedQueue = 0 };
            backend.Apply(new SteeringState(second, queues, 2));
            SendAndCheck(backend, injector, queues, second, firstId: 10_001);

            if (backend is SoftwareSteeringBackend software) Assert.Equal(0, software.DroppedPackets);
        }
        TapTestKit.AssertRemoved(name);
    }

    private static RssConfiguration Configuration(int queues, Func<int, int> entry) => new()
    {
        HashTypes = VirtioNetHashTypes.All,
        Key = ToeplitzVectors.Key,
        IndirectionTable = Enumerable.Range(0, RssConfiguration.MaxTableLength).Select(i => (ushort)entry(i)).ToArray(),
        UnclassifiedQueue = (ushort)(queues - 1),
    };

    private static void SendAndCheck(ISteeringBackend backend, PacketInjector injector, int queues, RssConfiguration config, uint firstId)
    {
        List<Expected> frames = Frames(config, firstId);
        foreach (Expected f in frames) injector.Send(f.Frame);
        Dictionary<uint, (int Port, byte[] Frame)> seen = ReadAll(backend, queues, frames);

        var wrong = new List<string>();
        foreach (Expected f in frames)
        {
            if (!seen.TryGetValue(f.Id, out var got)) wrong.Add($"frame {f.Id} ({f.Kind}) never came out of any of {queues} ports");
            else if (got.Port != f.Queue) wrong.Add($"frame {f.Id} ({f.Kind}) came out of port {got.Port}, its table entry names {f.Queue}");
            else Assert.Equal(f.Frame, got.Frame);
        }
        Assert.True(wrong.Count == 0, $"{backend.Kind}, {queues} queues, {wrong.Count} of {frames.Count} frames wrong:\n{string.Join("\n", wrong.Take(20))}");
        if (queues > 1) Assert.True(frames.Select(f => f.Queue).Distinct().Count() == queues, "the frames should cover every queue");
    }

    /// <summary>Vector frames (expected queue from the published hashes), ARP, then the steer-test flow set.</summary>
    private static List<Expected> Frames(RssConfiguration config, uint firstId)
    {
        var frames = new List<Expected>();
        uint id = firstId;
        int mask = config.IndirectionTable.Length - 1;
        int ByHash(uint hash) => config.IndirectionTable[hash & mask];
        foreach (ToeplitzVector v in ToeplitzVectors.All)
        {
            bool v6 = v.Family == "ipv6";
            FrameBuilder Ip() => v6 ? new FrameBuilder().IPv6(v.SourceAddress, v.DestinationAddress) : new FrameBuilder().IPv4(v.SourceAddress, v.DestinationAddress);
            frames.Add(new(id, $"{v.Id} tcp", Ip().Tcp(v.SourcePort, v.DestinationPort).WithId(id++).Build(), ByHash(v.HashWithPorts)));
            frames.Add(new(id, $"{v.Id} udp", Ip().Udp(v.SourcePort, v.DestinationPort).WithId(id++).Build(), ByHash(v.HashWithPorts)));
            frames.Add(new(id, $"{v.Id} icmp", Ip().Protocol(v6 ? IpProtocol.IcmpV6 : IpProtocol.Icmp).WithPayloadLength(8).WithId(id++).Build(), ByHash(v.HashAddressesOnly)));
            frames.Add(new(id, $"{v.Id} tcp vlan", Ip().WithVlan(9).Tcp(v.SourcePort, v.DestinationPort).WithId(id++).Build(), ByHash(v.HashWithPorts)));
        }
        frames.Add(new(id, "arp", new FrameBuilder().Arp("192.0.2.1", "192.0.2.2").WithId(id++).Build(), config.UnclassifiedQueue));
        foreach (SteeringFlow flow in SteeringFlowSet.Build(id, flowsPerKind: 16))
        {
            frames.Add(new(flow.Id, flow.Kind, flow.Frame, RssHasher.Compute(flow.Frame, config).Queue));
        }
        return frames;
    }

    /// <summary>Reads every port until each expected frame came out of one of them (or the timeout).</summary>
    private static Dictionary<uint, (int Port, byte[] Frame)> ReadAll(ISteeringBackend backend, int queues, List<Expected> frames)
    {
        var ids = frames.Select(f => f.Id).ToHashSet();
        var seen = new Dictionary<uint, (int, byte[])>();
        var buffer = new byte[65536];
        long deadline = Environment.TickCount64 + (long)ReadTimeout.TotalMilliseconds;
        while (seen.Count < ids.Count && Environment.TickCount64 < deadline)
        {
            bool any = false;
            for (int k = 0; k < queues; k++)
            {
                BackendResult r;
                while ((r = backend.PortOf(k).Read(buffer)).Status == BackendStatus.Done)
                {
                    int n = r.Bytes;
                    any = true;
                    Assert.True(n >= Tap.VnetHeaderBytes, $"port {k} returned {n} bytes, less than a vnet header");
                    byte[] frame = buffer[Tap.VnetHeaderBytes..n];
                    if (FrameBuilder.ReadId(frame) is not uint id || !ids.Contains(id)) continue;   // the host's own IPv6 chatter
                    Assert.False(seen.ContainsKey(id), $"frame {id} came out twice (ports {seen.GetValueOrDefault(id).Item1} and {k})");
                    seen[id] = (k, frame);
                }
            }
            if (!any) Thread.Sleep(2);
        }
        return seen;
    }
}
