using MiniVmm.HostNet.Steering;
using MiniVmm.Native;
using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

namespace MiniVmm.UnitTests.HostNet;

/// <summary>The kernel back end over a fake tun: what each guest configuration turns into, and what the device is told.</summary>
public class KernelSteeringBackendTests
{
    private static FakeNetBackendQueue[] Queues(int n, BackendHeader header) =>
        Enumerable.Range(0, n).Select(_ => new FakeNetBackendQueue { Header = header }).ToArray();

    [Fact]
    public void StartsByTurningKernelRssOff_AndTellsTheDeviceTheKernelFillsTheHash()
    {
        var tun = new FakeKernelRss();
        using var backend = new KernelSteeringBackend(Queues(4, BackendHeader.V1Hash), tun, reportHash: true);
        Assert.Equal(["disable"], tun.Calls);
        Assert.Equal(SteeringBackendKind.Kernel, backend.Kind);
        Assert.Null(backend.HashProvider);
        for (int k = 0; k < 4; k++)
        {
            Assert.Equal(BackendHeader.V1HashFilled, backend.PortOf(k).Header);
            Assert.Null(backend.WakeupOf(k));
        }
    }

    [Fact]
    public void RefusesQueuesWith12ByteHeaders()
    {
        var e = Assert.Throws<ArgumentException>(() => new KernelSteeringBackend(Queues(2, BackendHeader.V1), new FakeKernelRss(), true));
        Assert.Contains("20-byte vnet headers", e.Message);
    }

    [Fact]
    public void RssConfig_GoesToTheKernelWithHashReport()
    {
        var tun = new FakeKernelRss();
        using var backend = new KernelSteeringBackend(Queues(4, BackendHeader.V1Hash), tun, reportHash: true);
        RssConfiguration rss = RssConfiguration.Spread(4);
        backend.Configure(rss, 4);
        Assert.Equal(["disable", "configure steering=True report=True"], tun.Calls);
        Assert.Same(rss, tun.LastConfiguration);
    }

    [Fact]
    public void WithoutHashReportOffered_TheKernelOnlySteers()
    {
        var tun = new FakeKernelRss();
        using var backend = new KernelSteeringBackend(Queues(2, BackendHeader.V1Hash), tun, reportHash: false);
        backend.Configure(RssConfiguration.Spread(2), 2);
        Assert.Equal("configure steering=True report=False", tun.Calls[^1]);
    }

    [Fact]
    public void HashConfig_GoesToTheKernelAsReportOnly_AndNullTurnsItOff()
    {
        var tun = new FakeKernelRss();
        using var backend = new KernelSteeringBackend(Queues(2, BackendHeader.V1Hash), tun, reportHash: true);
        backend.Configure(RssConfiguration.Spread(2) with { SteeringEnabled = false }, 1);
        backend.Configure(null, 1);
        Assert.Equal(["disable", "configure steering=False report=True", "disable"], tun.Calls);
    }

    [Fact]
    public void AKernelWithoutTheSeries_FailsAtConstruction_WithTheIoctlsErrno()
    {
        var tun = new FakeKernelRss { FailWithErrno = Errno.EINVAL };
        var e = Assert.Throws<SyscallException>(() => new KernelSteeringBackend(Queues(1, BackendHeader.V1Hash), tun, true));
        Assert.Contains("TUNSETVNETREPORTINGAUTOMQ", e.Message);
        Assert.Contains("EINVAL", e.Message);
    }

    [Fact]
    public void Dispose_TurnsKernelRssOff_EvenWhenThatFails_AndIgnoresLaterConfigurations()
    {
        var tun = new FakeKernelRss();
        var backend = new KernelSteeringBackend(Queues(1, BackendHeader.V1Hash), tun, true);
        tun.FailWithErrno = Errno.ENODEV;
        backend.Dispose();
        tun.FailWithErrno = null;
        backend.Configure(RssConfiguration.Spread(1), 1);
        backend.Dispose();
        Assert.Equal(["disable"], tun.Calls);
    }
}
