using MiniVmm.HostNet.Steering;
using MiniVmm.Memory;
using MiniVmm.UnitTests.VirtioNet;
using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

namespace MiniVmm.UnitTests.HostNet;

/// <summary>
/// The ebpf-kfuncs back end over a fake program: attached (and the hash taken from the header) only
/// while the guest's configuration steers; otherwise detached and the hash computed in-process.
/// </summary>
public class KfuncSteeringBackendTests
{
    private static FakeNetBackendQueue[] Queues(int n) =>
        Enumerable.Range(0, n).Select(_ => new FakeNetBackendQueue { Header = BackendHeader.V1Hash }).ToArray();

    [Fact]
    public void BeforeAnyConfiguration_NothingIsAttached_AndTheDeviceHashesItself()
    {
        var program = new FakeSteeringProgram();
        using var backend = new KfuncSteeringBackend(Queues(2), program);
        Assert.Empty(program.Calls);
        Assert.Equal(SteeringBackendKind.EbpfKfuncs, backend.Kind);
        Assert.Same(InProcessHashProvider.Instance, backend.HashProvider);
        Assert.Equal(BackendHeader.V1Hash, backend.PortOf(1).Header);
    }

    [Fact]
    public void RssConfig_ConfiguresAndAttachesOnce_AndTheHeaderCarriesTheHash()
    {
        var program = new FakeSteeringProgram();
        using var backend = new KfuncSteeringBackend(Queues(4), program);
        RssConfiguration first = RssConfiguration.Spread(4), second = RssConfiguration.Spread(2);
        backend.Configure(first, 4);
        backend.Configure(second, 2);
        Assert.Equal(["configure", "attach", "configure"], program.Calls);
        Assert.Same(second, program.LastConfiguration);
        Assert.True(backend.Attached);
        for (int k = 0; k < 4; k++) Assert.Equal(BackendHeader.V1HashFilled, backend.PortOf(k).Header);
    }

    [Fact]
    public void HashConfigOnly_DetachesTheProgram_AndTheDeviceHashesAgain()
    {
        var program = new FakeSteeringProgram();
        using var backend = new KfuncSteeringBackend(Queues(2), program);
        backend.Configure(RssConfiguration.Spread(2), 2);
        backend.Configure(RssConfiguration.Spread(2) with { SteeringEnabled = false }, 2);
        backend.Configure(null, 1);
        Assert.Equal(["configure", "attach", "detach"], program.Calls);
        Assert.False(backend.Attached);
        Assert.Equal(BackendHeader.V1Hash, backend.PortOf(0).Header);
    }

    [Fact]
    public void Dispose_DetachesAndUnloads_Once()
    {
        var program = new FakeSteeringProgram();
        var backend = new KfuncSteeringBackend(Queues(1), program);
        backend.Configure(RssConfiguration.Spread(1), 1);
        backend.Dispose();
        backend.Dispose();
        backend.Configure(RssConfiguration.Spread(1), 1);
        Assert.Equal(["configure", "attach", "detach", "dispose"], program.Calls);
    }

    [Fact]
    public void RefusesQueuesWith12ByteHeaders()
    {
        var queues = new[] { new FakeNetBackendQueue() };
        Assert.Throws<ArgumentException>(() => new KfuncSteeringBackend(queues, new FakeSteeringProgram()));
    }

    /// <summary>Device and back end wired as the machine wires them: RssChanged to Configure, ports and hash provider.</summary>
    private static (NetTestRig Rig, FakeNetBackendQueue[] Queues, KfuncSteeringBackend Backend) Wired()
    {
        var rig = new NetTestRig();
        FakeNetBackendQueue[] queues = Queues(rig.Device.Pairs.Count);
        var backend = new KfuncSteeringBackend(queues, new FakeSteeringProgram());
        for (int k = 0; k < queues.Length; k++) rig.Device.Pairs[k].Backend = backend.PortOf(k);
        rig.Device.HashProvider = backend.HashProvider;
        rig.Device.RssChanged += config => backend.Configure(config, rig.Device.ActivePairs);
        rig.Start(NetTestRig.BaseFeatures(VirtioNetFeature.HashReport, VirtioNetFeature.Rss));
        return (rig, queues, backend);
    }

    [Fact]
    public void WithTheDevice_UnderRssConfig_TheGuestSeesTheHashTheProgramStored()
    {
        (NetTestRig rig, FakeNetBackendQueue[] queues, KfuncSteeringBackend backend) = Wired();
        using (backend)
        {
            Assert.Equal(0, ControlQueueTests.SendRss(rig, (uint)VirtioNetHashTypes.TcpV4, 0, [0], 0, 1, RssConfiguration.DefaultKey.ToArray()));
            queues[0].InjectWithHash(ToeplitzFrame(), 0x0BADF00D, (ushort)VirtioNetHashReport.TcpV4);
            Assert.Equal((0x0BADF00Du, (ushort)2), ReceiveHash(rig, new GuestAddress(0x200000)));
        }
    }

    [Fact]
    public void WithTheDevice_UnderHashConfig_TheGuestSeesTheVmmsOwnHash()
    {
        (NetTestRig rig, FakeNetBackendQueue[] queues, KfuncSteeringBackend backend) = Wired();
        using (backend)
        {
            Assert.Equal(0, ControlQueueTests.SendHash(rig, (uint)VirtioNetHashTypes.TcpV4, RssConfiguration.DefaultKey.ToArray()));
            // Bytes the kernel did not mean (the program is detached): the device must hash itself.
            queues[0].InjectWithHash(ToeplitzFrame(), 0x0BADF00D, (ushort)VirtioNetHashReport.TcpV4);
            // Published vector (toeplitz_msft.json): 66.9.149.187:2794 -> 161.142.100.80:1766, with TCP: 0x51ccc178.
            Assert.Equal((0x51ccc178u, (ushort)2), ReceiveHash(rig, new GuestAddress(0x200000)));
        }
    }

    private static (uint, ushort) ReceiveHash(NetTestRig rig, GuestAddress buffer)
    {
        rig.Rx(0).AddChain((buffer, 1526, true));
        rig.Device.Pairs[0].ProcessRx(rig.Memory);
        Assert.True(rig.Rx(0).TryTakeUsed(out _, out _), "nothing delivered");
        return (rig.Memory.ReadU32(buffer + 12), rig.Memory.ReadU16(buffer + 16));
    }

    private static byte[] ToeplitzFrame()
    {
        var f = new byte[14 + 20 + 20];
        f[12] = 0x08; // IPv4
        f[14] = 0x45;
        f[23] = 6; // TCP
        new byte[] { 66, 9, 149, 187 }.CopyTo(f, 26);
        new byte[] { 161, 142, 100, 80 }.CopyTo(f, 30);
        f[34] = 2794 >> 8; f[35] = 2794 & 0xFF;
        f[36] = 1766 >> 8; f[37] = 1766 & 0xFF;
        return f;
    }
}
