using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

namespace MiniVmm.UnitTests.VirtioNet;

/// <summary>Receive and transmit through the device with a fake back end (virtio 1.2 §5.1.6.2-§5.1.6.4).</summary>
public class NetRxTxTests
{
    private static byte[] Frame(int length, byte seed = 1) => Enumerable.Range(0, length).Select(i => (byte)(seed + i)).ToArray();

    [Fact]
    public void Rx_WritesHeaderAndFrame_AndSignalsTheQueueVector()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures());
        var buffer = new GuestAddress(0x200000);
        ushort head = rig.Rx(0).AddChain((buffer, 1526, true));
        byte[] frame = Frame(60);
        rig.Backends[0].Inject(frame);
        Assert.Equal(RxStop.BackendEmpty, rig.ProcessRx(0).Stop);
        Assert.True(rig.Rx(0).TryTakeUsed(out uint id, out uint length));
        Assert.Equal(head, (ushort)id);
        Assert.Equal(12u + 60, length);
        Span<byte> written = rig.Memory.GetSpan(buffer, 72);
        // §5.1.6.4: "num_buffers ... MUST be set to 1" when VIRTIO_NET_F_MRG_RXBUF is not negotiated.
        Assert.Equal(1, BinaryPrimitives.ReadUInt16LittleEndian(written[10..]));
        Assert.Equal(frame, written[12..].ToArray());
        Assert.Equal(1, rig.Msi.Count(0));
    }

    [Fact]
    public void Rx_NoBuffers_KeepsThePacketUntilTheGuestPostsOne()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures());
        rig.Backends[0].Inject(Frame(100, 7));
        Assert.Equal(RxStop.NoGuestBuffers, rig.ProcessRx(0).Stop);
        Assert.True(rig.Device.Pairs[0].HasPendingRx);
        rig.Rx(0).AddChain((new GuestAddress(0x200000), 1526, true));
        Assert.Equal(RxStop.BackendEmpty, rig.ProcessRx(0).Stop);
        Assert.True(rig.Rx(0).TryTakeUsed(out _, out uint length));
        Assert.Equal(112u, length);
        Assert.Equal(7, rig.Memory.GetSpan(new GuestAddress(0x200000 + 12), 1)[0]);
    }

    [Fact]
    public void Rx_MergeableBuffers_SpanSeveralChains()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures(VirtioNetFeature.MrgRxbuf));
        ushort[] heads = new ushort[4];
        for (int i = 0; i < 4; i++)
        {
            heads[i] = rig.Rx(0).AddChain((new GuestAddress(0x200000 + 0x1000UL * (ulong)i), 512, true));
        }
        byte[] frame = Frame(1400);
        rig.Backends[0].Inject(frame);
        rig.ProcessRx(0);
        var lengths = new List<uint>();
        while (rig.Rx(0).TryTakeUsed(out uint id, out uint length))
        {
            Assert.Equal(heads[lengths.Count], (ushort)id);
            lengths.Add(length);
        }
        // 12 + 1400 = 1412 bytes over 512-byte buffers: 512, 512, 388.
        Assert.Equal([512u, 512u, 388u], lengths);
        // §5.1.6.4: num_buffers is "the number of descriptors merged" into this packet.
        Assert.Equal(3, rig.Memory.ReadU16(new GuestAddress(0x200000 + 10)));
        var received = new byte[1400];
        rig.Memory.GetSpan(new GuestAddress(0x200000 + 12), 500).CopyTo(received);
        rig.Memory.GetSpan(new GuestAddress(0x201000), 512).CopyTo(received.AsSpan(500));
        rig.Memory.GetSpan(new GuestAddress(0x202000), 388).CopyTo(received.AsSpan(1012));
        Assert.Equal(frame, received);
    }

    [Fact]
    public void Rx_MergeableWithTooFewBuffers_ReturnsThemAndWaits()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures(VirtioNetFeature.MrgRxbuf));
        rig.Rx(0).AddChain((new GuestAddress(0x200000), 512, true));
        rig.Backends[0].Inject(Frame(1400));
        Assert.Equal(RxStop.NoGuestBuffers, rig.ProcessRx(0).Stop);
        Assert.False(rig.Rx(0).TryTakeUsed(out _, out _));
        rig.Rx(0).AddChain((new GuestAddress(0x201000), 512, true));
        rig.Rx(0).AddChain((new GuestAddress(0x202000), 512, true));
        Assert.Equal(RxStop.BackendEmpty, rig.ProcessRx(0).Stop);
        int used = 0;
        while (rig.Rx(0).TryTakeUsed(out _, out _)) { used++; }
        Assert.Equal(3, used);
    }

    [Fact]
    public void Rx_HashReport_WritesHashValueAndReport()
    {
        var rig = new NetTestRig();
        rig.Backends[0].FixedHash = new RxHash(0xDEADBEEF, VirtioNetHashReport.TcpV4);
        rig.Start(NetTestRig.BaseFeatures(VirtioNetFeature.HashReport, VirtioNetFeature.Rss));
        Assert.Equal(0, ControlQueueTests.SendRss(rig, 0x1FF, 0, [0], 0, 1, new byte[40]));
        rig.Rx(0).AddChain((new GuestAddress(0x200000), 1526, true));
        byte[] frame = Frame(60);
        rig.Backends[0].Inject(frame);
        rig.ProcessRx(0);
        Assert.True(rig.Rx(0).TryTakeUsed(out _, out uint length));
        // §5.1.6.4: with VIRTIO_NET_F_HASH_REPORT the header is struct virtio_net_hdr_v1_hash (20 bytes).
        Assert.Equal(20u + 60, length);
        Assert.Equal(0xDEADBEEFu, rig.Memory.ReadU32(new GuestAddress(0x200000 + 12)));
        Assert.Equal((ushort)VirtioNetHashReport.TcpV4, rig.Memory.ReadU16(new GuestAddress(0x200000 + 16)));
        Assert.Equal(frame, rig.Memory.GetSpan(new GuestAddress(0x200000 + 20), 60).ToArray());
    }

    [Fact]
    public void Rx_HashReportWithHashingOff_ReportsNone()
    {
        var rig = new NetTestRig();
        rig.Backends[0].FixedHash = new RxHash(0x1234, VirtioNetHashReport.UdpV4);
        rig.Start(NetTestRig.BaseFeatures(VirtioNetFeature.HashReport));
        rig.Rx(0).AddChain((new GuestAddress(0x200000), 1526, true));
        rig.Backends[0].Inject(Frame(60));
        rig.ProcessRx(0);
        // "Initially the device has all hash types disabled and reports only VIRTIO_NET_HASH_REPORT_NONE."
        Assert.Equal(0u, rig.Memory.ReadU32(new GuestAddress(0x200000 + 12)));
        Assert.Equal(0, rig.Memory.ReadU16(new GuestAddress(0x200000 + 16)));
    }

    [Fact]
    public void Rx_ChecksumFlagWithoutGuestCsum_IsDropped()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures());
        rig.Rx(0).AddChain((new GuestAddress(0x200000), 1526, true));
        rig.Backends[0].Inject(Frame(60), flags: 1);
        rig.ProcessRx(0);
        // §5.1.6.4.1: VIRTIO_NET_HDR_F_NEEDS_CSUM only "If VIRTIO_NET_F_GUEST_CSUM is negotiated".
        Assert.False(rig.Rx(0).TryTakeUsed(out _, out _));
        Assert.Equal(1UL, rig.Device.Pairs[0].Counters.RxDroppedOffloads);
    }

    [Fact]
    public void Rx_DataValidWithoutGuestCsum_IsClearedNotDropped()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures());
        rig.Memory.Write(new GuestAddress(0x200000), [0xFF]);
        rig.Rx(0).AddChain((new GuestAddress(0x200000), 1526, true));
        rig.Backends[0].Inject(Frame(60), flags: 2); // VIRTIO_NET_HDR_F_DATA_VALID
        rig.ProcessRx(0);
        Assert.True(rig.Rx(0).TryTakeUsed(out _, out _));
        Assert.Equal(0, rig.Memory.GetSpan(new GuestAddress(0x200000), 1)[0]);
    }

    [Fact]
    public void Rx_OffloadFieldsPassThroughWhenNegotiated()
    {
        var rig = new NetTestRig(new VirtioNetOptions { QueuePairs = 1, BackendOffloads = NetOffloads.All });
        rig.Start(NetTestRig.BaseFeatures(VirtioNetFeature.GuestCsum, VirtioNetFeature.GuestTso4, VirtioNetFeature.MrgRxbuf));
        rig.Rx(0).AddChain((new GuestAddress(0x200000), 4096, true));
        rig.Backends[0].Inject(Frame(3000), flags: 1, gsoType: 1);
        rig.ProcessRx(0);
        Assert.True(rig.Rx(0).TryTakeUsed(out _, out _));
        Assert.Equal(new byte[] { 1, 1 }, rig.Memory.GetSpan(new GuestAddress(0x200000), 2).ToArray());
    }

    [Fact]
    public void Rx_StopsAfterTheBudget_AndContinuesOnTheNextCall()
    {
        var rig = new NetTestRig(new VirtioNetOptions { QueuePairs = 1, QueueSize = 512 });
        rig.Start(NetTestRig.BaseFeatures(), queueSize: 512);
        for (int i = 0; i < 300; i++)
        {
            rig.Rx(0).AddChain((new GuestAddress(0x200000 + 0x800UL * (ulong)i), 1526, true));
            rig.Backends[0].Inject(Frame(60));
        }
        Assert.Equal(RxStop.BudgetUsed, rig.ProcessRx(0).Stop);
        Assert.Equal((ulong)NetQueuePair.DefaultBudget, rig.Device.Pairs[0].Counters.RxPackets);
        Assert.Equal(RxStop.BackendEmpty, rig.ProcessRx(0).Stop);
        Assert.Equal(300UL, rig.Device.Pairs[0].Counters.RxPackets);
    }

    [Fact]
    public void Tx_GathersHeaderAndFrameForTheBackend()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures());
        var header = new GuestAddress(0x200000);
        var data = new GuestAddress(0x201000);
        rig.Memory.Write(header, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        byte[] frame = Frame(200);
        rig.Memory.Write(data, frame);
        ushort head = rig.Tx(0).AddChain((header, 12, false), (data, 120, false), (data + 120, 80, false));
        Assert.Equal(1, rig.ProcessTx(0).Completed);
        byte[] sent = Assert.Single(rig.Backends[0].FromGuest);
        Assert.Equal(12 + 200, sent.Length);
        Assert.Equal(frame, sent[12..]);
        Assert.True(rig.Tx(0).TryTakeUsed(out uint id, out uint length));
        Assert.Equal((head, 0u), ((ushort)id, length));
        Assert.Equal(1, rig.Msi.Count(1));
    }

    [Fact]
    public void Tx_WithHashHeader_HandsTheBackendThe12ByteHeader()
    {
        var rig = new NetTestRig(new VirtioNetOptions { QueuePairs = 4, BackendOffloads = NetOffloads.All });
        rig.Start(NetTestRig.BaseFeatures(VirtioNetFeature.HashReport, VirtioNetFeature.Csum));
        var packet = new GuestAddress(0x200000);
        byte[] header = [1, 0, 0, 0, 0, 0, 14, 0, 16, 0, 0, 0, 0xAA, 0xAA, 0xAA, 0xAA, 0xBB, 0xBB, 0, 0];
        byte[] frame = Frame(64);
        rig.Memory.Write(packet, [.. header, .. frame]);
        rig.Tx(0).AddChain((packet, 84, false));
        rig.ProcessTx(0);
        byte[] sent = Assert.Single(rig.Backends[0].FromGuest);
        Assert.Equal(header[..10], sent[..10]);
        Assert.Equal(new byte[] { 0, 0 }, sent[10..12]);
        Assert.Equal(frame, sent[12..]);
    }

    [Fact]
    public void Tx_OversizedPacket_IsDroppedButCompleted()
    {
        var rig = new NetTestRig(memoryBytes: 1 << 21);
        rig.Start(NetTestRig.BaseFeatures());
        rig.Tx(0).AddChain((new GuestAddress(0x100000), 12 + 70000, false));
        Assert.Equal(1, rig.ProcessTx(0).Completed);
        Assert.Empty(rig.Backends[0].FromGuest);
        Assert.True(rig.Tx(0).TryTakeUsed(out _, out _));
        Assert.Equal(1UL, rig.Device.Pairs[0].Counters.TxDropped);
        Assert.False(rig.NeedsReset);
    }

    [Fact]
    public void EventIdx_SuppressesInterruptsUntilUsedEvent()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures(VirtioFeature.EventIdx));
        rig.Rx(0).SetUsedEvent(1); // interrupt me after the second used buffer
        for (int i = 0; i < 2; i++)
        {
            rig.Rx(0).AddChain((new GuestAddress(0x200000 + 0x1000UL * (ulong)i), 1526, true));
        }
        rig.Backends[0].Inject(Frame(60));
        rig.ProcessRx(0);
        Assert.Equal(0, rig.Msi.Count(0));
        rig.Backends[0].Inject(Frame(60));
        rig.ProcessRx(0);
        Assert.Equal(1, rig.Msi.Count(0));
    }

    [Fact]
    public void IndirectRxChain_IsFilled()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures(VirtioFeature.IndirectDesc));
        rig.Rx(0).AddIndirectChain(new GuestAddress(0x300000), (new GuestAddress(0x200000), 12, true), (new GuestAddress(0x201000), 1514, true));
        byte[] frame = Frame(100);
        rig.Backends[0].Inject(frame);
        rig.ProcessRx(0);
        Assert.True(rig.Rx(0).TryTakeUsed(out _, out uint length));
        Assert.Equal(112u, length);
        Assert.Equal(frame, rig.Memory.GetSpan(new GuestAddress(0x201000), 100).ToArray());
    }

    [Fact]
    public void LinkDown_RaisesAConfigurationInterrupt()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures());
        uint generation = rig.Driver.Read(21, 1);
        rig.Device.SetLinkUp(false);
        Span<byte> status = stackalloc byte[2];
        rig.Driver.ReadDeviceConfig(6, status);
        Assert.Equal(0, status[0]);
        Assert.Equal(1, rig.Msi.Count(rig.Transport.QueueCount));
        Assert.NotEqual(generation, rig.Driver.Read(21, 1));
        Assert.Equal(2, rig.Driver.ReadIsr() & 2);
    }
}
