using System.Buffers.Binary;
using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.Native;
using MiniVmm.Rss;
using MiniVmm.Virtio.Net;

namespace MiniVmm.UnitTests.HostNet;

/// <summary>
/// The ebpf-kfuncs back end over a fake program: attached (and the hash taken from the header) only
/// while the guest's configuration steers; otherwise detached and the hash computed in-process.
/// </summary>
public sealed class KfuncSteeringBackendTests : IDisposable
{
    private readonly List<EventFd> _fds = [];

    /// <summary>Queues over eventfds: these tests never read or write a packet.</summary>
    private TapQueue[] Queues(int n, int headerBytes = 20) =>
        Enumerable.Range(0, n).Select(k =>
        {
            var fd = new EventFd();
            _fds.Add(fd);
            return new TapQueue(k, fd.Handle, headerBytes);
        }).ToArray();

    public void Dispose()
    {
        foreach (EventFd fd in _fds) fd.Dispose();
    }

    private static SteeringState State(RssConfiguration? configuration, int pairs) => new(configuration, pairs, 1);

    private static bool KernelFillsHash(ISteeringBackend backend, int pair) => Assert.IsType<TapPort>(backend.PortOf(pair)).KernelFillsHash;

    [Fact]
    public void Before_any_configuration_nothing_is_attached_and_the_ports_hash_in_process()
    {
        var program = new FakeSteeringProgram();
        using var backend = new KfuncSteeringBackend(Queues(2), program);
        Assert.Empty(program.Calls);
        Assert.Equal(SteeringBackendKind.EbpfKfuncs, backend.Kind);
        Assert.False(KernelFillsHash(backend, 1));
        Assert.Equal(20, backend.PortOf(1).HeaderBytes);
    }

    [Fact]
    public void Rss_config_configures_and_attaches_once_and_the_header_carries_the_hash()
    {
        var program = new FakeSteeringProgram();
        using var backend = new KfuncSteeringBackend(Queues(4), program);
        RssConfiguration first = RssConfiguration.Spread(4), second = RssConfiguration.Spread(2);
        backend.Apply(State(first, 4));
        backend.Apply(State(second, 2));
        Assert.Equal(["configure", "attach", "configure"], program.Calls);
        Assert.Same(second, program.LastConfiguration);
        Assert.True(backend.Attached);
        for (int k = 0; k < 4; k++) Assert.True(KernelFillsHash(backend, k));
    }

    [Fact]
    public void Hash_config_only_detaches_the_program_and_the_ports_hash_again()
    {
        var program = new FakeSteeringProgram();
        using var backend = new KfuncSteeringBackend(Queues(2), program);
        backend.Apply(State(RssConfiguration.Spread(2), 2));
        backend.Apply(State(RssConfiguration.Spread(2) with { SteeringEnabled = false }, 2));
        backend.Apply(State(null, 1));
        Assert.Equal(["configure", "attach", "detach"], program.Calls);
        Assert.False(backend.Attached);
        Assert.False(KernelFillsHash(backend, 0));
    }

    [Fact]
    public void Dispose_detaches_and_unloads_once()
    {
        var program = new FakeSteeringProgram();
        var backend = new KfuncSteeringBackend(Queues(1), program);
        backend.Apply(State(RssConfiguration.Spread(1), 1));
        backend.Dispose();
        backend.Dispose();
        backend.Apply(State(RssConfiguration.Spread(1), 1));
        Assert.Equal(["configure", "attach", "detach", "dispose"], program.Calls);
    }

    [Fact]
    public void Refuses_queues_with_12_byte_headers()
    {
        Assert.Throws<ArgumentException>(() => new KfuncSteeringBackend(Queues(1, headerBytes: 12), new FakeSteeringProgram()));
    }

    [Fact]
    public void Under_rss_config_the_port_reports_the_hash_the_program_stored()
    {
        using var backend = new KfuncSteeringBackend(Queues(1), new FakeSteeringProgram());
        var config = RssConfiguration.Spread(1) with { HashTypes = VirtioNetHashTypes.TcpV4 };
        backend.Apply(State(config, 1));
        RxHash hash = backend.PortOf(0).HashOf(Packet(0x0BADF00D, VirtioNetHashReport.TcpV4), config);
        Assert.Equal(new RxHash(0x0BADF00D, VirtioNetHashReport.TcpV4), hash);
    }

    [Fact]
    public void Under_hash_config_the_port_ignores_the_header_and_hashes_itself()
    {
        using var backend = new KfuncSteeringBackend(Queues(1), new FakeSteeringProgram());
        var config = RssConfiguration.Spread(1) with { HashTypes = VirtioNetHashTypes.TcpV4, SteeringEnabled = false };
        backend.Apply(State(config, 1));
        // Bytes the kernel did not mean (the program is detached).
        RxHash hash = backend.PortOf(0).HashOf(Packet(0x0BADF00D, VirtioNetHashReport.TcpV4), config);
        // Published vector (toeplitz_msft.json): 66.9.149.187:2794 -> 161.142.100.80:1766, with TCP: 0x51ccc178.
        Assert.Equal(new RxHash(0x51ccc178, VirtioNetHashReport.TcpV4), hash);
    }

    /// <summary>A 20-byte vnet header with the given hash fields, then the published TCP/IPv4 vector's frame.</summary>
    private static byte[] Packet(uint hashValue, VirtioNetHashReport report)
    {
        var p = new byte[20 + 14 + 20 + 20];
        BinaryPrimitives.WriteUInt32LittleEndian(p.AsSpan(12), hashValue);
        BinaryPrimitives.WriteUInt16LittleEndian(p.AsSpan(16), (ushort)report);
        Span<byte> f = p.AsSpan(20);
        f[12] = 0x08; // IPv4
        f[14] = 0x45;
        f[23] = 6; // TCP
        new byte[] { 66, 9, 149, 187 }.CopyTo(f[26..]);
        new byte[] { 161, 142, 100, 80 }.CopyTo(f[30..]);
        f[34] = 2794 >> 8; f[35] = 2794 & 0xFF;
        f[36] = 1766 >> 8; f[37] = 1766 & 0xFF;
        return p;
    }
}
