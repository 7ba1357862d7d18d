using System.Buffers.Binary;
using MiniVmm.Rss.Packets;

namespace MiniVmm.UnitTests.Rss;

public sealed class FrameBuilderTests
{
    [Fact]
    public void IPv4TcpFrameHasCorrectLengthsAndChecksums()
    {
        byte[] frame = new FrameBuilder().IPv4("192.0.2.1", "198.51.100.7").Tcp(40000, 443).WithPayloadLength(10).WithId(0xDEADBEEF).Build();

        Assert.Equal(14 + 20 + 20 + 10 + 8, frame.Length);
        Assert.Equal(0x0800, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)));
        Assert.Equal(0x45, frame[14]);
        Assert.Equal(20 + 20 + 10 + 8, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(16)));
        Assert.Equal(6, frame[23]);
        Assert.Equal(0xFFFF, OnesComplementSum(frame.AsSpan(14, 20)));
        byte[] pseudo = [192, 0, 2, 1, 198, 51, 100, 7, 0, 6, 0, 38];
        Assert.Equal(0xFFFF, OnesComplementSum([.. pseudo, .. frame.AsSpan(34)]));
        Assert.Equal(40000, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(34)));
        Assert.Equal(443, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(36)));
        Assert.Equal("4D564944DEADBEEF", Convert.ToHexString(frame[^8..]));
        Assert.Equal(0xDEADBEEFu, FrameBuilder.ReadId(frame));
    }

    [Fact]
    public void IPv6UdpChecksumUsesHomeAddressAndRoutingHeaderAddress()
    {
        byte[] frame = new FrameBuilder().IPv6("2001:db8::1", "2001:db8::2").WithRoutingType2("2001:db8::b")
            .WithHomeAddress("2001:db8::a").Udp(5000, 53).WithPayloadLength(5).Build();

        Assert.Equal(14 + 40 + 24 + 24 + 8 + 5, frame.Length);
        Assert.Equal(24 + 24 + 8 + 5, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(18)));
        Assert.Equal(43, frame[20]); // next header: routing
        Assert.Equal(60, frame[54]); // routing -> destination options
        Assert.Equal(2, frame[55]); // RH2 Hdr Ext Len
        Assert.Equal(2, frame[56]); // routing type 2
        Assert.Equal(1, frame[57]); // segments left
        Assert.Equal(17, frame[78]); // destination options -> UDP
        Assert.Equal(0xC9, frame[78 + 6]);
        Assert.Equal(16, frame[78 + 7]);
        byte[] pseudo = new byte[40];
        System.Net.IPAddress.Parse("2001:db8::a").GetAddressBytes().CopyTo(pseudo, 0);
        System.Net.IPAddress.Parse("2001:db8::b").GetAddressBytes().CopyTo(pseudo, 16);
        pseudo[35] = 13;
        pseudo[39] = 17;
        Assert.Equal(0xFFFF, OnesComplementSum([.. pseudo, .. frame.AsSpan(102)]));
    }

    [Fact]
    public void FragmentsCarryTheTransportHeaderOnlyFirst()
    {
        byte[] first = new FrameBuilder().IPv4("10.0.0.1", "10.0.0.2").Udp(1, 2).AsFragment(0, true).WithPayloadLength(16).Build();
        byte[] later = new FrameBuilder().IPv4("10.0.0.1", "10.0.0.2").Udp(1, 2).AsFragment(24, false).WithPayloadLength(16).Build();
        byte[] v6 = new FrameBuilder().IPv6("2001:db8::1", "2001:db8::2").WithHopByHopOptions().AsFragment(8, true).Udp(1, 2).WithPayloadLength(16).Build();

        Assert.Equal(0x2000, BinaryPrimitives.ReadUInt16BigEndian(first.AsSpan(20)));
        Assert.Equal(14 + 20 + 8 + 16, first.Length);
        Assert.Equal(3, BinaryPrimitives.ReadUInt16BigEndian(later.AsSpan(20)));
        Assert.Equal(14 + 20 + 16, later.Length);
        Assert.Equal(0xFFFF, OnesComplementSum(later.AsSpan(14, 20)));
        Assert.Equal(44, v6[54]); // hop-by-hop -> fragment
        Assert.Equal(17, v6[62]); // fragment -> UDP
        Assert.Equal(8 | 1, BinaryPrimitives.ReadUInt16BigEndian(v6.AsSpan(64)));
        Assert.Equal(14 + 40 + 8 + 8 + 16, v6.Length);
    }

    [Fact]
    public void VlanTagsAndArp()
    {
        byte[] frame = new FrameBuilder().WithVlan(5, EtherType.ServiceVlan).WithVlan(300, priority: 3).Arp("10.0.0.1", "10.0.0.9").WithId(2).Build();

        Assert.Equal("88A80005", Convert.ToHexString(frame.AsSpan(12, 4)));
        Assert.Equal("8100612C", Convert.ToHexString(frame.AsSpan(16, 4)));
        Assert.Equal(0x0806, BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(20)));
        Assert.Equal(22 + 28 + 8, frame.Length);
        Assert.Equal(2u, FrameBuilder.ReadId(frame));
    }

    private static int OnesComplementSum(ReadOnlySpan<byte> bytes)
    {
        long sum = 0;
        for (int i = 0; i < bytes.Length; i += 2)
        {
            sum += (bytes[i] << 8) | (i + 1 < bytes.Length ? bytes[i + 1] : 0);
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (int)sum;
    }
}
