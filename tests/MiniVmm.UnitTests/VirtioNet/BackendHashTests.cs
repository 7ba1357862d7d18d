using MiniVmm.Memory;
using MiniVmm.Rss;
using MiniVmm.Virtio.Net;

namespace MiniVmm.UnitTests.VirtioNet;

/// <summary>
/// The one path of the reported hash (virtio 1.2 §5.1.6.4.3): the back-end port answers
/// <see cref="INetBackendQueue.HashOf"/> (from the kernel's header fields, or a hash it computed), the
/// device checks the answer against the types the guest enabled and writes it into the 20-byte
/// header; and the 12- and 20-byte vnet headers of back end and guest in any combination.
/// </summary>
public class BackendHashTests
{
    private static readonly GuestAddress Buffer = new(0x200000);

    private static byte[] Frame(int length, byte seed = 1) => Enumerable.Range(0, length).Select(i => (byte)(seed + i)).ToArray();

    /// <summary>A started rig with HASH_REPORT and RSS, hash types <paramref name="types"/> enabled (0: no RSS_CONFIG sent), back end 0 with 20-byte headers.</summary>
    private static NetTestRig Rig(uint types = 0x1FF, bool hashReport = true, bool hashFromHeader = true)
    {
        var rig = new NetTestRig();
        rig.Backends[0].HeaderBytes = VirtioNetHeader.HashBytes;
        rig.Backends[0].HashFromHeader = hashFromHeader;
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
        rig.ProcessRx(0);
        Assert.True(rig.Rx(0).TryTakeUsed(out _, out uint length), "nothing delivered");
        return (rig.Memory.ReadU32(Buffer + 12), rig.Memory.ReadU16(Buffer + 16), length);
    }

    private static (uint Hash, ushort Report) HashOf(NetTestRig rig)
    {
        (uint hash, ushort report, _) = Receive(rig);
        return (hash, report);
    }

    [Fact]
    public void The_kernels_hash_fields_are_copied_to_the_guest()
    {
        NetTestRig rig = Rig();
        byte[] frame = Frame(60);
        rig.Backends[0].InjectWithHash(frame, 0x12345678, (ushort)VirtioNetHashReport.UdpV4);
        (uint hash, ushort report, uint length) = Receive(rig);
        // §5.1.6.4: with VIRTIO_NET_F_HASH_REPORT the header is struct virtio_net_hdr_v1_hash (20 bytes).
        Assert.Equal(20u + 60, length);
        Assert.Equal((0x12345678u, (ushort)3), (hash, report));
        Assert.Equal(frame, rig.Memory.GetSpan(Buffer + 20, 60).ToArray());
        Assert.Equal(0UL, rig.Device.Pairs[0].Counters.RxHashReportsRejected);
    }

    [Fact]
    public void The_port_is_asked_once_per_packet_with_the_configuration_in_force()
    {
        NetTestRig rig = Rig(hashFromHeader: false);
        rig.Backends[0].FixedHash = new RxHash(0x0BADC0DE, VirtioNetHashReport.UdpV6);
        rig.Backends[0].Inject(Frame(60));
        Assert.Equal((0x0BADC0DEu, (ushort)6), HashOf(rig));
        Assert.Equal(1, rig.Backends[0].HashAsked);
        Assert.Same(rig.Device.Steering.Configuration, rig.Backends[0].LastHashConfiguration);
    }

    [Theory]
    [InlineData((ushort)10)]     // one above VIRTIO_NET_HASH_REPORT_UDPv6_EX
    [InlineData((ushort)0x8002)]
    [InlineData((ushort)0xFFFF)]
    public void An_undefined_report_code_is_delivered_as_none_and_counted(ushort garbage)
    {
        NetTestRig rig = Rig();
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
    public void A_report_of_a_type_the_guest_did_not_enable_is_none()
    {
        // Only IPv4 and TCPv4 enabled; "the kernel" claims UDPv4.
        NetTestRig rig = Rig(types: 0x3);
        rig.Backends[0].InjectWithHash(Frame(60), 0x1111, (ushort)VirtioNetHashReport.UdpV4);
        // §5.1.6.4.3: the device reports only hash types the driver enabled.
        Assert.Equal((0u, (ushort)0), HashOf(rig));
        Assert.Equal(1UL, rig.Device.Pairs[0].Counters.RxHashReportsRejected);
    }

    [Fact]
    public void While_hashing_is_off_the_port_is_not_asked_and_the_report_is_none()
    {
        NetTestRig rig = Rig(types: 0);
        rig.Backends[0].InjectWithHash(Frame(60), 0x2222, (ushort)VirtioNetHashReport.TcpV4);
        // "Initially the device has all hash types disabled and reports only VIRTIO_NET_HASH_REPORT_NONE."
        Assert.Equal((0u, (ushort)0), HashOf(rig));
        Assert.Equal(0, rig.Backends[0].HashAsked);
    }

    [Fact]
    public void Report_none_always_carries_hash_zero()
    {
        NetTestRig rig = Rig();
        rig.Backends[0].InjectWithHash(Frame(60), 0x3333, 0);
        Assert.Equal((0u, (ushort)0), HashOf(rig));
        Assert.Equal(0UL, rig.Device.Pairs[0].Counters.RxHashReportsRejected);
    }

    [Fact]
    public void Hash_config_types_are_the_ones_checked()
    {
        var rig = new NetTestRig();
        rig.Backends[0].HeaderBytes = VirtioNetHeader.HashBytes;
        rig.Backends[0].HashFromHeader = true;
        rig.Start(NetTestRig.BaseFeatures(VirtioNetFeature.HashReport));
        Assert.Equal(0, ControlQueueTests.SendHash(rig, (uint)VirtioNetHashTypes.TcpV6, new byte[40]));
        rig.Rx(0).AddChain((Buffer, 1526, true));
        rig.Backends[0].InjectWithHash(Frame(80), 0x89ABCDEF, (ushort)VirtioNetHashReport.TcpV6);
        Assert.Equal((0x89ABCDEFu, (ushort)5), HashOf(rig));
    }

    [Fact]
    public void A_20_byte_back_end_header_to_a_guest_without_hash_report_gives_the_12_byte_header()
    {
        NetTestRig rig = Rig(types: 0, hashReport: false);
        byte[] frame = Frame(60, 9);
        rig.Backends[0].InjectWithHash(frame, 0x4444, (ushort)VirtioNetHashReport.TcpV4);
        rig.ProcessRx(0);
        Assert.True(rig.Rx(0).TryTakeUsed(out _, out uint length));
        Assert.Equal(12u + 60, length);
        Assert.Equal(1, rig.Memory.ReadU16(Buffer + 10)); // num_buffers
        Assert.Equal(frame, rig.Memory.GetSpan(Buffer + 12, 60).ToArray());
        Assert.Equal(0, rig.Backends[0].HashAsked);
    }

    [Fact]
    public void A_12_byte_back_end_header_to_a_hash_report_guest_gets_the_ports_hash()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures(VirtioNetFeature.HashReport, VirtioNetFeature.Rss));
        Assert.Equal(0, ControlQueueTests.SendRss(rig, 0x1FF, 0, [0], 0, 1, new byte[40]));
        rig.Rx(0).AddChain((Buffer, 1526, true));
        rig.Backends[0].FixedHash = new RxHash(0xDEADBEEF, VirtioNetHashReport.TcpV4);
        byte[] frame = Frame(60);
        rig.Backends[0].Inject(frame);
        (uint hash, ushort report, uint length) = Receive(rig);
        Assert.Equal((0xDEADBEEFu, (ushort)VirtioNetHashReport.TcpV4), (hash, report));
        Assert.Equal(20u + 60, length);
        Assert.Equal(frame, rig.Memory.GetSpan(Buffer + 20, 60).ToArray());
    }

    [Theory]
    [InlineData(20)] // a header and no frame
    [InlineData(15)] // less than the header
    public void A_packet_not_longer_than_the_20_byte_header_is_dropped(int bytes)
    {
        NetTestRig rig = Rig();
        rig.Backends[0].ToGuest.Enqueue(new byte[bytes]);
        Assert.Equal(RxStop.BackendEmpty, rig.ProcessRx(0).Stop);
        Assert.False(rig.Rx(0).TryTakeUsed(out _, out _));
        Assert.Equal(1UL, rig.Device.Pairs[0].Counters.RxDroppedBackend);
    }

    private static NetTestRig ChecksumRig(params int[] features)
    {
        var rig = new NetTestRig(new VirtioNetOptions { QueuePairs = 4, BackendOffloads = NetOffloads.All });
        rig.Backends[0].HeaderBytes = VirtioNetHeader.HashBytes;
        rig.Start(NetTestRig.BaseFeatures([VirtioNetFeature.Csum, .. features]));
        return rig;
    }

    [Fact]
    public void Tx_to_a_20_byte_back_end_from_a_12_byte_guest_pads_the_header()
    {
        NetTestRig rig = ChecksumRig();
        var packet = new GuestAddress(0x200000);
        byte[] header = [1, 0, 0, 0, 0, 0, 14, 0, 16, 0, 7, 7];
        byte[] frame = Frame(64);
        rig.Memory.Write(packet, [.. header, .. frame]);
        rig.Tx(0).AddChain((packet, 76, false));
        rig.ProcessTx(0);
        byte[] sent = Assert.Single(rig.Backends[0].FromGuest);
        Assert.Equal(20 + 64, sent.Length);
        Assert.Equal(header[..10], sent[..10]);
        Assert.Equal(new byte[10], sent[10..20]); // num_buffers and the hash fields
        Assert.Equal(frame, sent[20..]);
        Assert.Equal(64UL, rig.Device.Pairs[0].Counters.TxBytes);
    }

    [Fact]
    public void Tx_to_a_20_byte_back_end_from_a_20_byte_guest_clears_the_hash_fields()
    {
        NetTestRig rig = ChecksumRig(VirtioNetFeature.HashReport);
        var packet = new GuestAddress(0x200000);
        byte[] header = [1, 0, 0, 0, 0, 0, 14, 0, 16, 0, 3, 0, 0xAA, 0xAA, 0xAA, 0xAA, 0xBB, 0xBB, 0xCC, 0xCC];
        byte[] frame = Frame(64);
        rig.Memory.Write(packet, [.. header, .. frame]);
        rig.Tx(0).AddChain((packet, 20, false), (packet + 20, 64, false));
        rig.ProcessTx(0);
        byte[] sent = Assert.Single(rig.Backends[0].FromGuest);
        Assert.Equal(20 + 64, sent.Length);
        Assert.Equal(header[..10], sent[..10]);
        Assert.Equal(new byte[10], sent[10..20]);
        Assert.Equal(frame, sent[20..]);
    }
}
