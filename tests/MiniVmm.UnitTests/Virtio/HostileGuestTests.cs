using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;
using MiniVmm.UnitTests.VirtioNet;

namespace MiniVmm.UnitTests.Virtio;

/// <summary>
/// A hostile driver: every case ends in DEVICE_NEEDS_RESET (with a configuration interrupt) or a
/// refused request, and nothing throws out of the device. §2.1.2: "The device SHOULD set
/// DEVICE_NEEDS_RESET when it enters an error state that a reset is needed. If DRIVER_OK is set,
/// after it sets DEVICE_NEEDS_RESET, the device MUST send a device configuration change
/// notification to the driver."
/// </summary>
public class HostileGuestTests
{
    private const uint Write = 2, Next = 1, Indirect = 4;
    private readonly NetTestRig _rig = new();

    private int ConfigVector => _rig.Transport.QueueCount;

    private void Start(params int[] extra) => _rig.Start(NetTestRig.BaseFeatures(extra));

    private void AssertNeedsReset(VirtioError reason)
    {
        Assert.Equal(reason, _rig.Transport.LastFailure?.Reason);
        Assert.True(_rig.NeedsReset, "DEVICE_NEEDS_RESET not set");
        Assert.False(_rig.Device.IsActive);
        Assert.True(_rig.Msi.Count(ConfigVector) >= 1, "no configuration change interrupt");
        Assert.NotNull(_rig.Transport.LastFailure);
        // The driver sees the bit in device_status.
        Assert.NotEqual(0u, _rig.Driver.Read(20, 1) & 64);
    }

    /// <summary>Publishes raw descriptors on transmitq1 and lets the device process it.</summary>
    private void KickTx(params (int Index, ulong Address, uint Length, uint Flags, ushort Next)[] descriptors)
    {
        VirtqueueDriver tx = _rig.Tx(0);
        foreach (var d in descriptors)
        {
            tx.WriteDescriptor(d.Index, d.Address, d.Length, (ushort)d.Flags, d.Next);
        }
        tx.Publish((ushort)descriptors[0].Index);
        _rig.ProcessTx(0);
    }

    [Fact]
    public void DescriptorLoop_TwoDescriptors()
    {
        Start();
        KickTx((0, 0x80000, 64, Next, 1), (1, 0x80100, 64, Next, 0));
        AssertNeedsReset(VirtioError.ChainTooLong);
        Assert.Empty(_rig.Backends[0].FromGuest);
    }

    [Fact]
    public void DescriptorLoop_PointsAtItself()
    {
        Start();
        KickTx((0, 0x80000, 64, Next, 0));
        AssertNeedsReset(VirtioError.ChainTooLong);
    }

    [Fact]
    public void HeadIndexOutsideTheQueue()
    {
        Start();
        _rig.Tx(0).Publish(200);
        _rig.ProcessTx(0);
        AssertNeedsReset(VirtioError.DescriptorIndexOutOfRange);
    }

    [Fact]
    public void NextIndexOutsideTheQueue()
    {
        Start();
        KickTx((0, 0x80000, 64, Next, 999));
        AssertNeedsReset(VirtioError.DescriptorIndexOutOfRange);
    }

    [Fact]
    public void BufferOutsideGuestMemory()
    {
        Start();
        KickTx((0, 0x4000_0000, 64, 0, 0));
        AssertNeedsReset(VirtioError.AddressOutsideMemory);
    }

    [Fact]
    public void BufferAddressWrapsPast2To64()
    {
        Start();
        KickTx((0, 0xFFFF_FFFF_FFFF_FFF0, 0x100, 0, 0));
        AssertNeedsReset(VirtioError.AddressOutsideMemory);
    }

    [Fact]
    public void LengthOverflow_HugeLengthFromAValidAddress()
    {
        Start();
        KickTx((0, 0x1000, 0xFFFF_FFFF, 0, 0));
        AssertNeedsReset(VirtioError.AddressOutsideMemory);
    }

    [Fact]
    public void AvailIdxJumpsByMoreThanTheQueueSize()
    {
        Start();
        // §2.7.13.3: at most queue-size buffers can be available at once.
        _rig.Tx(0).SetAvailIdx(65); // 65 > 64
        _rig.ProcessTx(0);
        AssertNeedsReset(VirtioError.AvailIndexAhead);
    }

    [Fact]
    public void NotificationForQueuesNeverSetUp_IsIgnored()
    {
        Assert.True(_rig.Driver.Negotiate(NetTestRig.BaseFeatures()));
        _rig.Driver.DriverOk();
        _rig.Driver.Notify(0);              // exists, never enabled
        _rig.Transport.WriteBar(0, 0x3000 + 4 * 60, new byte[2]); // no queue 60
        Assert.DoesNotContain(_rig.Host.Events, e => e.StartsWith("notified"));
        Assert.Equal(2, _rig.Transport.IgnoredNotifications);
        Assert.False(_rig.NeedsReset);
    }

    [Fact]
    public void WritesToReadOnlyCommonFields_AreIgnored()
    {
        Start();
        uint numQueues = _rig.Driver.Read(18, 2);
        uint generation = _rig.Driver.Read(21, 1);
        _rig.Driver.Write(0, 4, 0);
        uint features = _rig.Driver.Read(4, 4);
        _rig.Driver.Write(18, 2, 3);          // num_queues
        _rig.Driver.Write(4, 4, 0);           // device_feature
        _rig.Driver.Write(21, 1, 99);         // config_generation
        _rig.Driver.Write(22, 2, 2);
        _rig.Driver.Write(30, 2, 77);         // queue_notify_off
        Assert.Equal(numQueues, _rig.Driver.Read(18, 2));
        Assert.Equal(features, _rig.Driver.Read(4, 4));
        Assert.Equal(generation, _rig.Driver.Read(21, 1));
        Assert.Equal(2u, _rig.Driver.Read(30, 2));
        Assert.False(_rig.NeedsReset);
    }

    [Fact]
    public void WritesToDeviceConfigAndDriverFeaturesAfterFeaturesOk_AreIgnored()
    {
        Start();
        _rig.Transport.WriteBar(0, 0x2000, new byte[] { 1, 1, 1, 1, 1, 1 }); // mac
        Span<byte> mac = stackalloc byte[6];
        _rig.Driver.ReadDeviceConfig(0, mac);
        Assert.Equal(new byte[] { 0x52, 0x54, 0, 0x12, 0x34, 0x56 }, mac.ToArray());
        // §2.2.1 / §3.1.1: features are fixed once FEATURES_OK is set.
        _rig.Driver.Write(8, 4, 0);
        _rig.Driver.Write(12, 4, 0xFFFF_FFFF);
        Assert.Equal(NetTestRig.BaseFeatures(), _rig.Transport.DriverFeatures);
    }

    [Fact]
    public void QueueAddressWritesAfterEnable_AreIgnored()
    {
        Start();
        _rig.Driver.Write(22, 2, 1);
        uint before = _rig.Driver.Read(32, 4);
        _rig.Driver.Write(32, 4, 0x1230);
        Assert.Equal(before, _rig.Driver.Read(32, 4));
    }

    [Fact]
    public void QueueSizeNotAPowerOfTwo_IsRefused()
    {
        _rig.Driver.Write(22, 2, 0);
        _rig.Driver.Write(24, 2, 100);
        // §2.7: "Queue Size ... is always a power of 2"; the write is refused and the size stays.
        Assert.Equal(256u, _rig.Driver.Read(24, 2));
        _rig.Driver.Write(24, 2, 512); // larger than the maximum
        Assert.Equal(256u, _rig.Driver.Read(24, 2));
    }

    [Fact]
    public void QueueEnableWithRingsOutsideRam()
    {
        Assert.True(_rig.Driver.Negotiate(NetTestRig.BaseFeatures()));
        _rig.Driver.Write(22, 2, 0);
        _rig.Driver.SetQueueAddresses(new GuestAddress(0x3FF_F000), new GuestAddress(0x10000), new GuestAddress(0x20000));
        _rig.Driver.Write(28, 2, 1);
        Assert.True(_rig.NeedsReset);
        Assert.Equal(VirtioError.BadRingAddress, _rig.Transport.LastFailure?.Reason);
        Assert.Equal(0u, _rig.Driver.Read(28, 2));
        _rig.Driver.Write(16, 2, 0);
        _rig.Driver.EnableMsix(1);
        _rig.Driver.DriverOk();
        Assert.False(_rig.Device.IsActive);
        Assert.Equal(1, _rig.Msi.Count(0)); // the configuration change notification, once DRIVER_OK is set
    }

    [Fact]
    public void QueueEnableWithMisalignedRings()
    {
        Assert.True(_rig.Driver.Negotiate(NetTestRig.BaseFeatures()));
        _rig.Driver.Write(22, 2, 0);
        _rig.Driver.SetQueueAddresses(new GuestAddress(0x10008), new GuestAddress(0x20000), new GuestAddress(0x30000));
        _rig.Driver.Write(28, 2, 1);
        Assert.True(_rig.NeedsReset);
        Assert.Equal(VirtioError.BadRingAddress, _rig.Transport.LastFailure?.Reason);
    }

    [Fact]
    public void DriverOkWithoutFeaturesOk()
    {
        _rig.Driver.Write(20, 1, 1);
        _rig.Driver.Write(20, 1, 3);
        _rig.Driver.Write(20, 1, 7);
        Assert.True(_rig.NeedsReset);
        Assert.Equal(VirtioError.BadDeviceStatus, _rig.Transport.LastFailure?.Reason);
        Assert.False(_rig.Device.IsActive);
    }

    [Fact]
    public void IndirectDescriptorInsideAnIndirectTable()
    {
        Start(VirtioFeature.IndirectDesc);
        // §2.7.5.3.1: "The driver MUST NOT set the VIRTQ_DESC_F_INDIRECT flag within an indirect descriptor".
        var table = new GuestAddress(0x90000);
        VirtqueueDriver.WriteEntry(_rig.Memory.GetSpan(table, 16), 0x91000, 32, (ushort)Indirect, 0);
        KickTx((0, table.Value, 16, Indirect, 0));
        AssertNeedsReset(VirtioError.BadIndirectDescriptor);
    }

    [Fact]
    public void IndirectDescriptorWithoutTheFeature()
    {
        Start();
        KickTx((0, 0x90000, 32, Indirect, 0));
        AssertNeedsReset(VirtioError.BadIndirectDescriptor);
    }

    [Fact]
    public void IndirectTableLengthNotAMultipleOf16()
    {
        Start(VirtioFeature.IndirectDesc);
        KickTx((0, 0x90000, 20, Indirect, 0));
        AssertNeedsReset(VirtioError.BadIndirectDescriptor);
    }

    [Fact]
    public void IndirectAndNextTogether()
    {
        Start(VirtioFeature.IndirectDesc);
        // §2.7.5.3.1: "The driver MUST NOT set both VIRTQ_DESC_F_INDIRECT and VIRTQ_DESC_F_NEXT in flags."
        KickTx((0, 0x90000, 32, Indirect | Next, 1), (1, 0x80000, 12, 0, 0));
        AssertNeedsReset(VirtioError.BadIndirectDescriptor);
    }

    [Fact]
    public void IndirectTableOutsideRam()
    {
        Start(VirtioFeature.IndirectDesc);
        KickTx((0, 0x7FFF_0000, 32, Indirect, 0));
        AssertNeedsReset(VirtioError.AddressOutsideMemory);
    }

    [Fact]
    public void ChainLongerThanTheQueue_ThroughAnIndirectTable()
    {
        Start(VirtioFeature.IndirectDesc);
        // §2.7.13.1 / §2.7.5.3.1: a chain is never longer than the queue size (64 here): 65 entries.
        var table = new GuestAddress(0x90000);
        for (int i = 0; i < 65; i++)
        {
            VirtqueueDriver.WriteEntry(_rig.Memory.GetSpan(table + 16UL * (ulong)i, 16), 0x80000, 16, (ushort)(i < 64 ? Next : 0), (ushort)(i + 1));
        }
        KickTx((0, table.Value, 65 * 16, Indirect, 0));
        AssertNeedsReset(VirtioError.ChainTooLong);
    }

    [Fact]
    public void ZeroLengthTransmitChain()
    {
        Start();
        KickTx((0, 0x80000, 0, 0, 0));
        AssertNeedsReset(VirtioError.BadChainForQueue);
    }

    [Fact]
    public void WritableBufferInATransmitChain()
    {
        Start();
        KickTx((0, 0x80000, 12, Next, 1), (1, 0x80100, 64, Write, 0));
        AssertNeedsReset(VirtioError.BadChainForQueue);
    }

    [Fact]
    public void ReadableAfterWritable()
    {
        Start();
        // §2.7.4.2: "The driver MUST place any device-writable descriptor elements after any device-readable descriptor elements."
        KickTx((0, 0x80000, 64, Write | Next, 1), (1, 0x80100, 12, 0, 0));
        AssertNeedsReset(VirtioError.BadChainLayout);
    }

    [Fact]
    public void ReadableBufferInAReceiveChain()
    {
        Start();
        _rig.Rx(0).AddChain((new GuestAddress(0x80000), 2048, false));
        _rig.Backends[0].Inject(new byte[60]);
        _rig.ProcessRx(0);
        AssertNeedsReset(VirtioError.BadChainForQueue);
    }

    [Fact]
    public void ControlCommandWithoutRoomForTheAck()
    {
        Start();
        _rig.Memory.Write(new GuestAddress(0x80000), new byte[] { 4, 0, 1, 0 });
        _rig.Control.AddChain((new GuestAddress(0x80000), 4, false));
        _rig.Driver.Notify(_rig.Device.ControlQueueIndex);
        _rig.ProcessControl();
        AssertNeedsReset(VirtioError.BadChainForQueue);
    }

    [Fact]
    public void OversizedControlCommand_IsAnsweredWithErr()
    {
        Start();
        var ack = new GuestAddress(0x81000);
        _rig.Memory.Write(new GuestAddress(0x80000), new byte[] { 4, 0 });
        _rig.Control.AddChain((new GuestAddress(0x80000), 4000, false), (ack, 1, true));
        _rig.Driver.Notify(_rig.Device.ControlQueueIndex);
        _rig.ProcessControl();
        Assert.Equal(1, _rig.Memory.GetSpan(ack, 1)[0]);
        Assert.False(_rig.NeedsReset);
    }

    [Fact]
    public void RssTableWithThreeEntries_IsRejected()
    {
        Start(VirtioNetFeature.Rss);
        byte ack = ControlQueueTests.SendRss(_rig, hashTypes: 0x1FF, mask: 2, table: [0, 1, 2], unclassified: 0, maxTxVq: 4, key: new byte[40]);
        Assert.Equal(1, ack);
        Assert.Null(_rig.Device.Steering.Configuration);
    }

    [Fact]
    public void RssTableEntryBeyondThePairs_IsRejected()
    {
        Start(VirtioNetFeature.Rss);
        byte ack = ControlQueueTests.SendRss(_rig, hashTypes: 0x1FF, mask: 3, table: [0, 1, 2, 9], unclassified: 0, maxTxVq: 4, key: new byte[40]);
        Assert.Equal(1, ack);
        Assert.Null(_rig.Device.Steering.Configuration);
    }

    [Fact]
    public void AfterNeedsReset_KicksDoNothing_AndAResetRecovers()
    {
        Start();
        KickTx((0, 0x80000, 64, Next, 0));
        AssertNeedsReset(VirtioError.ChainTooLong);
        // §2.1.2: the device stops using its queues: the host was told to stop every worker, and kicks reach nobody.
        Assert.Equal(["stopped", "activated", "stopped"], _rig.Host.Events);
        _rig.Driver.Notify(1);
        Assert.Equal(["stopped", "activated", "stopped"], _rig.Host.Events);
        _rig.Backends[0].Inject(new byte[60]);
        _rig.Queues.Clear();
        _rig.Start(NetTestRig.BaseFeatures());
        Assert.False(_rig.NeedsReset);
        _rig.Rx(0).AddChain((new GuestAddress(0x80000), 2048, true));
        _rig.ProcessRx(0);
        Assert.True(_rig.Rx(0).TryTakeUsed(out _, out uint length));
        Assert.Equal(12u + 60, length);
    }

    [Fact]
    public void RandomDescriptorTables_NeverThrow()
    {
        var random = new Random(1234);
        for (int round = 0; round < 200; round++)
        {
            var rig = new NetTestRig(new VirtioNetOptions { QueuePairs = 1 });
            rig.Start(NetTestRig.BaseFeatures(VirtioFeature.IndirectDesc, VirtioFeature.EventIdx, VirtioNetFeature.MrgRxbuf));
            foreach (VirtqueueDriver q in new[] { rig.Rx(0), rig.Tx(0) })
            {
                Span<byte> table = rig.Memory.GetSpan(q.Desc, 16UL * q.Size);
                random.NextBytes(table);
                for (int i = 0; i < q.Size; i++)
                {
                    // Keep a third of the addresses inside RAM so that walks get past the range check.
                    if (random.Next(3) == 0)
                    {
                        BinaryPrimitives.WriteUInt64LittleEndian(table[(16 * i)..], (ulong)random.Next(0, 4 << 20));
                        BinaryPrimitives.WriteUInt32LittleEndian(table[(16 * i + 8)..], (uint)random.Next(0, 4096));
                    }
                }
                q.SetAvailIdx((ushort)random.Next(0, 80));
            }
            rig.Backends[0].Inject(new byte[100]);
            RxOutcome rx = rig.ProcessRx(0);
            TxOutcome tx = rig.ProcessTx(0);
            // Either the walk found the tables valid, or it named a reason and the device asked for a reset.
            bool failed = rx.Failure is not null || tx.Failure is not null;
            Assert.Equal(failed, rig.NeedsReset);
            if (failed) Assert.NotNull(rig.Transport.LastFailure);
        }
    }
}
