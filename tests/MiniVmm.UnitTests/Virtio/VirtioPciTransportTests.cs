using MiniVmm.Memory;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.UnitTests.Virtio;

public class VirtioPciTransportTests
{
    [Fact]
    public void Identity_IsAModernVirtioNetFunction()
    {
        var rig = new NetTestRig();
        var pci = rig.Transport;
        // §4.1.2.1: "The PCI Device ID is calculated by adding 0x1040 to the Virtio Device ID";
        // "Non-transitional devices SHOULD have a PCI Revision ID of 1 or higher."
        Assert.Equal(0x1AF4u, pci.ReadConfig(0, 2));
        Assert.Equal(0x1041u, pci.ReadConfig(2, 2));
        Assert.Equal(1u, pci.ReadConfig(8, 1));
        Assert.Equal(0x020000u, pci.ReadConfig(8, 4) >> 8);
        Assert.Equal(0x1AF4u, pci.ReadConfig(0x2C, 2));
        Assert.NotEqual(0u, pci.ReadConfig(6, 2) & 0x10); // capabilities list
    }

    [Fact]
    public void CapabilityList_DescribesEveryRegionWithLinuxAlignment()
    {
        var rig = new NetTestRig();
        var caps = rig.Driver.Caps;
        // §4.1.4: common (1), notify (2), ISR (3), device (4) and PCI configuration access (5).
        Assert.Equal([1, 2, 3, 4, 5], caps.Keys.Order().ToArray());
        Assert.True(caps[1].Length >= 0x38 && caps[1].Offset % 4 == 0);
        Assert.True(caps[2].Offset % 2 == 0 && caps[2].Length >= 2);
        Assert.True(caps[3].Length >= 1);
        Assert.True(caps[4].Offset % 4 == 0 && caps[4].Length == VirtioNetDevice.ConfigBytes);
        Assert.Equal(4u, rig.Driver.NotifyMultiplier);
        foreach (var cap in caps.Where(c => c.Key != 5))
        {
            Assert.Equal(0, cap.Value.Bar);
            Assert.True(cap.Value.Offset + cap.Value.Length <= 0x8000);
        }
        Assert.Equal(0x40, rig.Driver.MsixCap);
        Assert.Equal((uint)(rig.Transport.QueueCount + 1 - 1), rig.Transport.ReadConfig(0x42, 2) & 0x7FF);
    }

    [Fact]
    public void BarSizing_AllOnesReadsBackTheSizeMask_AndTheGuestCanMoveIt()
    {
        var rig = new NetTestRig();
        var pci = rig.Transport;
        Assert.Equal(0xC000_0004u, pci.ReadConfig(0x10, 4));
        pci.WriteConfig(0x10, 4, 0xFFFF_FFFF);
        pci.WriteConfig(0x14, 4, 0xFFFF_FFFF);
        Assert.Equal(0xFFFF_8004u, pci.ReadConfig(0x10, 4)); // 32 KiB, 64-bit memory
        Assert.Equal(0xFFFF_FFFFu, pci.ReadConfig(0x14, 4));
        int changes = 0;
        pci.BarsChanged += () => changes++;
        pci.WriteConfig(0x10, 4, 0xD000_0000);
        pci.WriteConfig(0x14, 4, 0);
        Assert.Equal(new GuestAddress(0xD000_0000), pci.Bars[0].Address);
        Assert.Equal(new GuestAddress(0xD000_3000 + 4 * 5), pci.NotifyAddress(5));
        Assert.True(changes >= 1);
    }

    [Fact]
    public void FeatureNegotiation_KeepsFeaturesOkForAnOfferedSubset()
    {
        var rig = new NetTestRig();
        ulong offered = rig.Driver.DeviceFeatures;
        Assert.NotEqual(0UL, offered & NetTestRig.Bit(VirtioNetFeature.Rss));
        Assert.NotEqual(0UL, offered & NetTestRig.Bit(VirtioNetFeature.HashReport));
        Assert.NotEqual(0UL, offered & VirtioFeature.Bit(VirtioFeature.Version1));
        Assert.True(rig.Driver.Negotiate(NetTestRig.BaseFeatures(VirtioNetFeature.Rss)));
        Assert.Equal(NetTestRig.BaseFeatures(VirtioNetFeature.Rss), rig.Transport.DriverFeatures);
    }

    [Fact]
    public void FeatureNegotiation_RefusesFeaturesNotOffered()
    {
        var rig = new NetTestRig();
        // §2.2.1: "The driver MUST NOT accept a feature which the device did not offer";
        // §3.1.1: the device clears FEATURES_OK when it does not accept the driver's features.
        Assert.False(rig.Driver.Negotiate(NetTestRig.BaseFeatures(VirtioNetFeature.CtrlVlan)));
    }

    [Fact]
    public void FeatureNegotiation_RequiresVersion1()
    {
        var rig = new NetTestRig();
        // §4.1.2.2 / §6.1: a non-transitional device MUST NOT accept a driver that lacks VIRTIO_F_VERSION_1.
        Assert.False(rig.Driver.Negotiate(NetTestRig.Bit(VirtioNetFeature.Mac)));
    }

    [Theory]
    [InlineData(VirtioNetFeature.Mq)]
    [InlineData(VirtioNetFeature.Rss)]
    public void FeatureNegotiation_RefusesMqOrRssWithoutCtrlVq(int feature)
    {
        var rig = new NetTestRig(new VirtioNetOptions { QueuePairs = 2, BackendOffloads = NetOffloads.All });
        // §5.1.3.1: "VIRTIO_NET_F_MQ Requires VIRTIO_NET_F_CTRL_VQ." / "VIRTIO_NET_F_RSS Requires VIRTIO_NET_F_CTRL_VQ."
        ulong features = VirtioFeature.Bit(VirtioFeature.Version1) | NetTestRig.Bit(feature);
        Assert.False(rig.Driver.Negotiate(features));
        Assert.True(rig.Driver.Negotiate(features | NetTestRig.Bit(VirtioNetFeature.CtrlVq)));
    }

    [Fact]
    public void FeatureNegotiation_RefusesGuestTsoWithoutGuestCsum()
    {
        var rig = new NetTestRig(new VirtioNetOptions { QueuePairs = 1, BackendOffloads = NetOffloads.All });
        // §5.1.3.1: "VIRTIO_NET_F_GUEST_TSO4 Requires VIRTIO_NET_F_GUEST_CSUM."
        Assert.False(rig.Driver.Negotiate(NetTestRig.BaseFeatures(VirtioNetFeature.GuestTso4)));
        Assert.True(rig.Driver.Negotiate(NetTestRig.BaseFeatures(VirtioNetFeature.GuestTso4, VirtioNetFeature.GuestCsum)));
    }

    [Fact]
    public void OffloadsAreOfferedOnlyWhenTheBackendHasThem()
    {
        ulong without = new NetTestRig().Driver.DeviceFeatures;
        ulong with = new NetTestRig(new VirtioNetOptions { BackendOffloads = NetOffloads.All }).Driver.DeviceFeatures;
        int[] offloads = [VirtioNetFeature.Csum, VirtioNetFeature.GuestCsum, VirtioNetFeature.HostTso4, VirtioNetFeature.HostTso6, VirtioNetFeature.GuestTso4, VirtioNetFeature.GuestTso6];
        Assert.All(offloads, f => Assert.Equal(0UL, without & NetTestRig.Bit(f)));
        Assert.All(offloads, f => Assert.NotEqual(0UL, with & NetTestRig.Bit(f)));
    }

    [Fact]
    public void ControlQueueIndex_FollowsTheNegotiatedFeatures()
    {
        var rig = new NetTestRig();
        // §5.1.2: "controlq ... 2N" where "N=1 if neither VIRTIO_NET_F_MQ nor VIRTIO_NET_F_RSS are negotiated".
        Assert.True(rig.Driver.Negotiate(VirtioFeature.Bit(VirtioFeature.Version1) | NetTestRig.Bit(VirtioNetFeature.CtrlVq)));
        rig.Driver.DriverOk();
        Assert.Equal(2, rig.Device.ControlQueueIndex);
        Assert.False(rig.Device.TryGetPairOfQueue(2, out _, out _));
        Assert.True(rig.Device.TryGetPairOfQueue(3, out int pair, out bool isRx));
        Assert.Equal((1, false), (pair, isRx));
        Assert.True(rig.Driver.Negotiate(NetTestRig.BaseFeatures()));
        rig.Driver.DriverOk();
        Assert.Equal(8, rig.Device.ControlQueueIndex);
        Assert.True(rig.Device.TryGetPairOfQueue(2, out _, out _));
    }

    [Fact]
    public void ResetByWritingZero_ForgetsQueuesAndFeatures()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures());
        // §2.4.1: "The device MUST reinitialize device status to 0 after receiving a reset."
        rig.Driver.Write(20, 1, 0);
        Assert.Equal(VirtioDeviceStatus.Reset, rig.Driver.Status);
        Assert.False(rig.Device.IsActive);
        Assert.All(rig.Device.Queues, q => Assert.False(q.IsEnabled));
        Assert.Equal(0UL, rig.Transport.DriverFeatures);
        rig.Driver.Write(22, 2, 0);
        Assert.Equal(0u, rig.Driver.Read(28, 2)); // queue_enable
        Assert.Equal(256u, rig.Driver.Read(24, 2)); // queue_size back to the maximum
    }

    [Fact]
    public void QueueMsixVector_OutsideTheTableReadsNoVector()
    {
        var rig = new NetTestRig();
        rig.Driver.Write(22, 2, 0);
        rig.Driver.Write(26, 2, 500);
        // §4.1.5.1.2: the device returns NO_VECTOR when it cannot map the vector.
        Assert.Equal(0xFFFFu, rig.Driver.Read(26, 2));
        rig.Driver.Write(26, 2, 3);
        Assert.Equal(3u, rig.Driver.Read(26, 2));
    }

    [Fact]
    public void QueueSelect_BeyondNumQueuesReadsSizeZero()
    {
        var rig = new NetTestRig();
        rig.Driver.Write(22, 2, 200);
        // §4.1.4.3: queue_size "... 0 if the queue is unavailable".
        Assert.Equal(0u, rig.Driver.Read(24, 2));
    }

    [Fact]
    public void MaskedVector_SetsPendingBit_AndUnmaskingDeliversIt()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures());
        ulong table = rig.Transport.ReadConfig(rig.Driver.MsixCap + 4, 4) & ~7u;
        rig.Driver.WriteMsixEntry(table, 0, 0xFEE0_0000, 0x40, masked: true);
        rig.Transport.SignalQueue(0);
        Assert.Equal(0, rig.Msi.Count(0));
        Assert.True(rig.Transport.IsMsixPending(0));
        Span<byte> pba = stackalloc byte[8];
        rig.Transport.ReadBar(0, 0x5000, pba);
        Assert.Equal(1, pba[0] & 1);
        rig.Driver.WriteMsixEntry(table, 0, 0xFEE0_0000, 0x40, masked: false);
        Assert.Equal(1, rig.Msi.Count(0));
        Assert.False(rig.Transport.IsMsixPending(0));
        Assert.Equal((0xFEE0_0000UL, 0x40u, false), rig.Msi.Entries[0]);
    }

    [Fact]
    public void A_signal_a_vhost_back_end_sent_to_a_masked_vector_shows_in_the_pba_and_is_delivered_at_unmask()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures());
        ulong table = rig.Transport.ReadConfig(rig.Driver.MsixCap + 4, 4) & ~7u;
        rig.Driver.WriteMsixEntry(table, 3, 0xFEE0_0000, 0x43, masked: true);
        // The back end wrote the vector's irqfd directly: the transport never saw a SignalQueue.
        rig.Msi.SignalledBehindTheTransport.Add(3);
        Span<byte> pba = stackalloc byte[8];
        rig.Transport.ReadBar(0, 0x5000, pba);
        // PCI 3.0 §6.8.3.5: while the vector is masked its message is pending, visible in the PBA.
        Assert.Equal(1 << 3, pba[0] & (1 << 3));
        rig.Driver.WriteMsixEntry(table, 3, 0xFEE0_0000, 0x43, masked: false);
        Assert.Equal(1, rig.Msi.Count(3));
        Assert.False(rig.Transport.IsMsixPending(3));
    }

    [Fact]
    public void QueueWithNoVector_SetsIsrButSignalsNothing()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures());
        rig.Device.Queues[1].MsixVector = 0xFFFF;
        rig.Transport.SignalQueue(1);
        // §4.1.5.1.2: "Writing a valid MSI-X Table entry number ... NO_VECTOR to disable interrupts."
        Assert.Empty(rig.Msi.Signals);
        Assert.Equal(1, rig.Driver.ReadIsr() & 1);
        Assert.Equal(0, rig.Driver.ReadIsr()); // reading cleared it
    }

    [Fact]
    public void FunctionMask_HoldsEveryVectorPending()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures());
        int cap = rig.Driver.MsixCap;
        uint control = rig.Transport.ReadConfig(cap + 2, 2);
        rig.Transport.WriteConfig(cap + 2, 2, control | 0x4000);
        rig.Transport.SignalQueue(2);
        Assert.Empty(rig.Msi.Signals);
        Assert.True(rig.Transport.IsMsixPending(2));
        rig.Transport.WriteConfig(cap + 2, 2, control);
        Assert.Equal([2], rig.Msi.Signals);
    }

    [Fact]
    public void MsixDisabled_DeliversNothing()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures());
        int cap = rig.Driver.MsixCap;
        rig.Transport.WriteConfig(cap + 2, 2, 0);
        rig.Transport.SignalQueue(0);
        Assert.Empty(rig.Msi.Signals);
        Assert.True(rig.Msi.Entries[0].Masked);
    }

    [Fact]
    public void ReadOnlyHeaderFields_IgnoreWrites()
    {
        var rig = new NetTestRig();
        rig.Transport.WriteConfig(0, 4, 0x12345678);
        rig.Transport.WriteConfig(0x34, 1, 0x80);
        rig.Transport.WriteConfig(0x44, 4, 0xFFFF_FFFF); // MSI-X table offset
        Assert.Equal(0x1041_1AF4u, rig.Transport.ReadConfig(0, 4));
        Assert.Equal(0x40u, rig.Transport.ReadConfig(0x34, 1));
        Assert.Equal(0x4000u, rig.Transport.ReadConfig(0x44, 4));
        Assert.Equal(0xFFFF_FFFFu, rig.Transport.ReadConfig(1, 4)); // misaligned
        Assert.Equal(0u, rig.Transport.ReadConfig(0x800, 4));       // extended space
    }

    [Fact]
    public void PciCfgCapability_ReadsTheBarThroughConfigSpace()
    {
        var rig = new NetTestRig();
        int cap = rig.Driver.Caps[5].CapOffset;
        // §4.1.4.9: the driver sets bar, offset and length, then reads pci_cfg_data.
        rig.Transport.WriteConfig(cap + 4, 1, 0);
        rig.Transport.WriteConfig(cap + 8, 4, 18); // num_queues
        rig.Transport.WriteConfig(cap + 12, 4, 2);
        Assert.Equal((uint)rig.Transport.QueueCount, rig.Transport.ReadConfig(cap + 16, 2));
    }

    [Fact]
    public void DeviceConfig_ReportsMacStatusPairsAndRssLimits()
    {
        var rig = new NetTestRig(new VirtioNetOptions { QueuePairs = 4, Mac = new MacAddress(0x02_00_00_00_00_07) });
        Span<byte> cfg = stackalloc byte[24];
        rig.Driver.ReadDeviceConfig(0, cfg);
        Assert.Equal(new byte[] { 2, 0, 0, 0, 0, 7 }, cfg[..6].ToArray());
        Assert.Equal(1, cfg[6]);            // VIRTIO_NET_S_LINK_UP
        Assert.Equal(4, cfg[8]);            // max_virtqueue_pairs
        Assert.Equal(40, cfg[17]);          // rss_max_key_size
        Assert.Equal(128, cfg[18]);         // rss_max_indirection_table_length
        Assert.Equal(0x1FFu, BitConverter.ToUInt32(cfg[20..]));
    }

    [Fact]
    public void Notify_ReachesTheDevicesHost()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures());
        rig.Driver.Notify(3);
        Assert.Equal(["stopped", "activated", "notified 3"], rig.Host.Events); // the driver resets the device first
        Assert.Equal(new GuestAddress(NetTestRig.BarBase + 0x3000 + 12), rig.Transport.NotifyAddress(3));
    }
}
