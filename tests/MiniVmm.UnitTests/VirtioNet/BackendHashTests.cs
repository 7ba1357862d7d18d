using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

namespace MiniVmm.UnitTests.VirtioNet;

/// <summary>
/// Back ends whose packets carry a 20-byte virtio_net_hdr_v1_hash (TUNSETVNETHDRSZ 20), with
/// hash_value / hash_report filled by "the kernel" (tun hashing or a BPF kfunc), or not filled.
/// </summary>
public class BackendHashTests
{
    private static readonly GuestAddress Buffer = new(0x200000);

    private static byte[] Frame(int length, byte seed = 1) => Enumerable.Range(0, length).Select(i => (byte)(seed + i)).ToArray();

    /// <summary>A started rig with HASH_REPORT and RSS, hash types <paramref name="types"/> enabled (0: no RSS_CONFIG sent), back end 0 at <paramref name="header"/>.</summary>
    private static NetTestRig Rig(BackendHeader header, uint types = 0x1FF, bool hashReport = true)
    {
        var rig = new NetTestRig();
        rig.Device.HashProvider = new FakeHashProvider(0xDEADBEEF, VirtioNetHashReport.TcpV4);
        rig.Backends[0].Header = header;
        rig.Start(hashReport ? NetTestRig.BaseFeatures(VirtioNetFeature.HashReport, VirtioNetFeature.Rss) : NetTestRig.BaseFeatures(VirtioNetFeature.Rss));
        if (types != 0)
        {
            Assert.Equal(0, ControlQueueTests.SendRss(rig, types, 0, [0], 0, 1, new byte[40]));
        }
        rig.Rx(0).AddChain((Buffer, 1526, true));
        return rig;
    }

    private static (uint Hash, ushort Report, uint Length) Receive(NetTestRig rig)
    {
        rig.Device.Pairs[0].ProcessRx(rig.Memory);
        Assert.True(rig.Rx(0).TryTakeUsed(out _, out uint length), "nothing delivered");
        return (rig.Memory.ReadU32(Buffer + 12), rig.Memory.ReadU16(Buffer + 16), length);
    }

    private static (uint Hash, ushort Report) HashOf(NetTestRig rig)
    {
        (uint hash, ushort report, _) = Receive(rig);
        return (hash, report);
    }

    [Fact]
    public void FilledHash_IsCopiedToTheGuest_AndTheProviderIsNotAsked()
    {
        NetTestRig rig = Rig(BackendHeader.V1HashFilled);
        byte[] frame = Frame(60);
        rig.Backends[0].InjectWithHash(frame, 0x12345678, (ushort)VirtioNetHashReport.UdpV4);
        (uint hash, ushort report, uint length) = Receive(rig);
        // §5.1.6.4: with VIRTIO_NET_F_HASH_REPORT the header is struct virtio_net_hdr_v1_hash (20 bytes).
        Assert.Equal(20u + 60, length);
        Assert.Equal((0x12345678u, (ushort)3), (hash, report));
        Assert.Equal(frame, rig.Memory.GetSpan(Buffer + 20, 60).ToArray());
        Assert.Null(((FakeHashProvider)rig.Device.HashProvider!).LastConfiguration);
        Assert.Equal(0UL, rig.Device.Pairs[0].Counters.RxHashReportsRejected);
    }

    [Fact]
    public void A_port_that_hashed_its_packet_answers_instead_of_the_device_wide_provider()
    {
        NetTestRig rig = Rig(BackendHeader.V1);
        var port = new HashingFakeNetBackendQueue(0x0BADC0DE, VirtioNetHashReport.UdpV6);
        rig.Device.Pairs[0].Backend = port;
        port.Inner.Inject(Frame(60));
        Assert.Equal((0x0BADC0DEu, (ushort)6), HashOf(rig));
        Assert.Equal(1, port.Asked);
        Assert.Null(((FakeHashProvider)rig.Device.HashProvider!).LastConfiguration);
    }

    [Theory]
    [InlineData((ushort)10)]     // one above VIRTIO_NET_HASH_REPORT_UDPv6_EX
    [InlineData((ushort)0x8002)]
    [InlineData((ushort)0xFFFF)]
    public void UndefinedReportCode_IsDeliveredAsNone_AndCounted(ushort garbage)
    {
        NetTestRig rig = Rig(BackendHeader.V1HashFilled);
        byte[] frame = Frame(60);
        rig.Backends[0].InjectWithHash(frame, 0xCAFEF00D, garbage);
        (uint hash, ushort report, uint length) = Receive(rig);
        Assert.Equal((0u, (ushort)0), (hash, report));
        Assert.Equal(20u + 60, length);
        Assert.Equal(frame, rig.Memory.GetSpan(Buffer + 20, 60).ToArray());
        Assert.Equal(1UL, rig.Device.Pairs[0].Counters.RxHashReportsRejected);
        Assert.Equal(0UL, rig.Device.Pairs[0].Counters.RxDropped);
    }

    [Fact]
    public void ReportOfATypeTheGuestDidNotEnable_IsNone()
    {
        // Only IPv4 and TCPv4 enabled; "the kernel" claims UDPv4.
        NetTestRig rig = Rig(BackendHeader.V1HashFilled, types: 0x3);
        rig.Backends[0].InjectWithHash(Frame(60), 0x1111, (ushort)VirtioNetHashReport.UdpV4);
        Assert.Equal((0u, (ushort)0), HashOf(rig));
        Assert.Equal(1UL, rig.Device.Pairs[0].Counters.RxHashReportsRejected);
    }

    [Fact]
    public void ReportWhileHashingIsOff_IsNone()
    {
        NetTestRig rig = Rig(BackendHeader.V1HashFilled, types: 0);
        rig.Backends[0].InjectWithHash(Frame(60), 0x2222, (ushort)VirtioNetHashReport.TcpV4);
        // "Initially the device has all hash types disabled and reports only VIRTIO_NET_HASH_REPORT_NONE."
        Assert.Equal((0u, (ushort)0), HashOf(rig));
        Assert.Equal(1UL, rig.Device.Pairs[0].Counters.RxHashReportsRejected);
    }

    [Fact]
    public void ReportNone_AlwaysCarriesHashZero()
    {
        NetTestRig rig = Rig(BackendHeader.V1HashFilled);
        rig.Backends[0].InjectWithHash(Frame(60), 0x3333, 0);
        Assert.Equal((0u, (ushort)0), HashOf(rig));
        Assert.Equal(0UL, rig.Device.Pairs[0].Counters.RxHashReportsRejected);
    }

    [Fact]
    public void HashConfigTypes_AreTheOnesChecked()
    {
        var rig = new NetTestRig();
        rig.Backends[0].Header = BackendHeader.V1HashFilled;
        rig.Start(NetTestRig.BaseFeatures(VirtioNetFeature.HashReport));
        Assert.Equal(0, ControlQueueTests.SendHash(rig, (uint)VirtioNetHashTypes.TcpV6, new byte[40]));
        rig.Rx(0).AddChain((Buffer, 1526, true));
        rig.Backends[0].InjectWithHash(Frame(80), 0x89ABCDEF, (ushort)VirtioNetHashReport.TcpV6);
        Assert.Equal((0x89ABCDEFu, (ushort)5), HashOf(rig));
    }

    [Fact]
    public void FilledHash_WithoutGuestHashReport_GivesThe12ByteHeader()
    {
        NetTestRig rig = Rig(BackendHeader.V1HashFilled, types: 0, hashReport: false);
        byte[] frame = Frame(60, 9);
        rig.Backends[0].InjectWithHash(frame, 0x4444, (ushort)VirtioNetHashReport.TcpV4);
        rig.Device.Pairs[0].ProcessRx(rig.Memory);
        Assert.True(rig.Rx(0).TryTakeUsed(out _, out uint length));
        Assert.Equal(12u + 60, length);
        Assert.Equal(1, rig.Memory.ReadU16(Buffer + 10)); // num_buffers
        Assert.Equal(frame, rig.Memory.GetSpan(Buffer + 12, 60).ToArray());
    }

    [Fact]
    public void UnfilledHashHeader_UsesTheProvider_AndSkips20Bytes()
    {
        NetTestRig rig = Rig(BackendHeader.V1Hash);
        byte[] frame = Frame(60);
        rig.Backends[0].InjectWithHash(frame, 0x5555, (ushort)VirtioNetHashReport.UdpV4); // bytes the kernel did not mean
        (uint hash, ushort report, uint length) = Receive(rig);
        Assert.Equal((0xDEADBEEFu, (ushort)VirtioNetHashReport.TcpV4), (hash, report));
        Assert.Equal(20u + 60, length);
        Assert.Equal(frame, rig.Memory.GetSpan(Buffer + 20, 60).ToArray());
    }

    [Theory]
    [InlineData(20)] // a header and no frame
    [InlineData(15)] // less than the header
    public void PacketNotLongerThanThe20ByteHeader_IsDropped(int bytes)
    {
        NetTestRig rig = Rig(BackendHeader.V1HashFilled);
        rig.Backends[0].ToGuest.Enqueue(new byte[bytes]);
        Assert.Equal(RxOutcome.BackendEmpty, rig.Device.Pairs[0].ProcessRx(rig.Memory));
        Assert.False(rig.Rx(0).TryTakeUsed(out _, out _));
        Assert.Equal(1UL, rig.Device.Pairs[0].Counters.RxDropped);
    }

    /// <summary>Writes the first 12 header bytes and the frame only, as a kernel that does not fill the hash does.</summary>
    private sealed class HashSkippingBackend(BackendHeader header) : INetBackendQueue
    {
        public Queue<(byte[] Packet, bool WholeHeader)> Packets { get; } = new();

        public BackendHeader Header => header;

        public int Read(Span<byte> packet)
        {
            if (!Packets.TryDequeue(out var p)) return 0;
            if (p.WholeHeader)
            {
                p.Packet.CopyTo(packet);
            }
            else
            {
                p.Packet.AsSpan(0, 12).CopyTo(packet);
                p.Packet.AsSpan(20).CopyTo(packet[20..]);
            }
            return p.Packet.Length;
        }

        public bool Write(ReadOnlySpan<byte> packet) => true;
    }

    [Fact]
    public void HashBytesTheBackEndDidNotWrite_AreNotTakenFromThePreviousPacket()
    {
        NetTestRig rig = Rig(BackendHeader.V1HashFilled);
        var backend = new HashSkippingBackend(BackendHeader.V1HashFilled);
        rig.Device.Pairs[0].Backend = backend;
        var first = new byte[20 + 60];
        BinaryPrimitives.WriteUInt32LittleEndian(first.AsSpan(12), 0x6666);
        BinaryPrimitives.WriteUInt16LittleEndian(first.AsSpan(16), (ushort)VirtioNetHashReport.TcpV4);
        backend.Packets.Enqueue((first, true));
        backend.Packets.Enqueue((new byte[20 + 60], false));
        rig.Rx(0).AddChain((Buffer + 0x1000, 1526, true));
        rig.Device.Pairs[0].ProcessRx(rig.Memory);
        Assert.Equal(0x6666u, rig.Memory.ReadU32(Buffer + 12));
        Assert.Equal(0u, rig.Memory.ReadU32(Buffer + 0x1000 + 12));
        Assert.Equal(0, rig.Memory.ReadU16(Buffer + 0x1000 + 16));
    }

    [Fact]
    public void Tx_To20ByteBackend_From12ByteGuest_PadsTheHeader()
    {
        var rig = new NetTestRig();
        rig.Backends[0].Header = BackendHeader.V1HashFilled;
        rig.Start(NetTestRig.BaseFeatures());
        var packet = new GuestAddress(0x200000);
        byte[] header = [1, 0, 0, 0, 0, 0, 14, 0, 16, 0, 7, 7];
        byte[] frame = Frame(64);
        rig.Memory.Write(packet, [.. header, .. frame]);
        rig.Tx(0).AddChain((packet, 76, false));
        rig.Device.Pairs[0].ProcessTx(rig.Memory);
        byte[] sent = Assert.Single(rig.Backends[0].FromGuest);
        Assert.Equal(20 + 64, sent.Length);
        Assert.Equal(header[..10], sent[..10]);
        Assert.Equal(new byte[10], sent[10..20]); // num_buffers and the hash fields
        Assert.Equal(frame, sent[20..]);
        Assert.Equal(64UL, rig.Device.Pairs[0].Counters.TxBytes);
    }

    [Fact]
    public void Tx_To20ByteBackend_From20ByteGuest_ClearsTheHashFields()
    {
        var rig = new NetTestRig();
        rig.Backends[0].Header = BackendHeader.V1Hash;
        rig.Start(NetTestRig.BaseFeatures(VirtioNetFeature.HashReport));
        var packet = new GuestAddress(0x200000);
        byte[] header = [1, 0, 0, 0, 0, 0, 14, 0, 16, 0, 3, 0, 0xAA, 0xAA, 0xAA, 0xAA, 0xBB, 0xBB, 0xCC, 0xCC];
        byte[] frame = Frame(64);
        rig.Memory.Write(packet, [.. header, .. frame]);
        rig.Tx(0).AddChain((packet, 20, false), (packet + 20, 64, false));
        rig.Device.Pairs[0].ProcessTx(rig.Memory);
        byte[] sent = Assert.Single(rig.Backends[0].FromGuest);
        Assert.Equal(20 + 64, sent.Length);
        Assert.Equal(header[..10], sent[..10]);
        Assert.Equal(new byte[10], sent[10..20]);
        Assert.Equal(frame, sent[20..]);
    }

    [Fact]
    public void ForSize_AcceptsOnly12And20()
    {
        Assert.Equal(BackendHeader.V1, BackendHeader.ForSize(12));
        Assert.Equal(BackendHeader.V1Hash, BackendHeader.ForSize(20));
        Assert.False(BackendHeader.ForSize(20).HashFilled);
        Assert.Throws<ArgumentOutOfRangeException>(() => BackendHeader.ForSize(10));
        Assert.Throws<ArgumentOutOfRangeException>(() => BackendHeader.ForSize(24));
    }
}
