using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.Native;
using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

namespace MiniVmm.UnitTests.HostNet;

/// <summary>The kernel back end over a fake tun: what each guest configuration turns into, and what the device is told.</summary>
public sealed class KernelSteeringBackendTests : IDisposable
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

    [Fact]
    public void StartsByTurningKernelRssOff_AndTellsTheDeviceTheKernelFillsTheHash()
    {
        var tun = new FakeKernelRss();
        using var backend = new KernelSteeringBackend(Queues(4), tun, reportHash: true);
        Assert.Equal(["disable"], tun.Calls);
        Assert.Equal(SteeringBackendKind.Kernel, backend.Kind);
        for (int k = 0; k < 4; k++)
        {
            var port = Assert.IsType<TapPort>(backend.PortOf(k));
            Assert.True(port.KernelFillsHash);
            Assert.Equal(20, port.HeaderBytes);
            Assert.Null(port.Wakeup);
        }
    }

    [Fact]
    public void RefusesQueuesWith12ByteHeaders()
    {
        var e = Assert.Throws<ArgumentException>(() => new KernelSteeringBackend(Queues(2, headerBytes: 12), new FakeKernelRss(), true));
        Assert.Contains("20-byte vnet headers", e.Message);
    }

    [Fact]
    public void RssConfig_GoesToTheKernelWithHashReport()
    {
        var tun = new FakeKernelRss();
        using var backend = new KernelSteeringBackend(Queues(4), tun, reportHash: true);
        RssConfiguration rss = RssConfiguration.Spread(4);
        backend.Apply(State(rss, 4));
        Assert.Equal(["disable", "configure steering=True report=True"], tun.Calls);
        Assert.Same(rss, tun.LastConfiguration);
    }

    [Fact]
    public void WithoutHashReportOffered_TheKernelOnlySteers()
    {
        var tun = new FakeKernelRss();
        using var backend = new KernelSteeringBackend(Queues(2), tun, reportHash: false);
        backend.Apply(State(RssConfiguration.Spread(2), 2));
        Assert.Equal("configure steering=True report=False", tun.Calls[^1]);
    }

    [Fact]
    public void HashConfig_GoesToTheKernelAsReportOnly_AndNullTurnsItOff()
    {
        var tun = new FakeKernelRss();
        using var backend = new KernelSteeringBackend(Queues(2), tun, reportHash: true);
        backend.Apply(State(RssConfiguration.Spread(2) with { SteeringEnabled = false }, 1));
        backend.Apply(State(null, 1));
        Assert.Equal(["disable", "configure steering=False report=True", "disable"], tun.Calls);
    }

    [Fact]
    public void AKernelWithoutTheSeries_FailsAtConstruction_WithTheIoctlsErrno()
    {
        var tun = new FakeKernelRss { FailWithErrno = Errno.EINVAL };
        var e = Assert.Throws<SyscallException>(() => new KernelSteeringBackend(Queues(1), tun, true));
        Assert.Contains("TUNSETVNETREPORTINGAUTOMQ", e.Message);
        Assert.Contains("EINVAL", e.Message);
    }

    [Fact]
    public void Dispose_TurnsKernelRssOff_EvenWhenThatFails_AndIgnoresLaterConfigurations()
    {
        var tun = new FakeKernelRss();
        var backend = new KernelSteeringBackend(Queues(1), tun, true);
        tun.FailWithErrno = Errno.ENODEV;
        backend.Dispose();
        tun.FailWithErrno = null;
        backend.Apply(State(RssConfiguration.Spread(1), 1));
        backend.Dispose();
        Assert.Equal(["disable"], tun.Calls);
    }
}
