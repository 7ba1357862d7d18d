using System.Buffers.Binary;
using MiniVmm.HostNet.Software;
using MiniVmm.Virtio.Net.Rss;

namespace MiniVmm.UnitTests.HostNet;

public sealed class SoftwareSteererTests
{
    // A stand-in classifier: the queue is the frame's first byte, the hash a fixed value.
    private static SteeringDecision Classify(ReadOnlySpan<byte> frame, RssConfiguration config) =>
        frame.IsEmpty ? new(0, VirtioNetHashReport.None, config.UnclassifiedQueue)
                      : new(0xA1B2C3D4, VirtioNetHashReport.TcpV4, frame[0]);

    private static byte[] Packet(int headerBytes, byte queueByte)
    {
        var p = new byte[headerBytes + 20];
        p.AsSpan(0, headerBytes).Fill(0xEE); // garbage a kernel may leave in the hash fields
        p[headerBytes] = queueByte;
        return p;
    }

    [Fact]
    public void APacketForAnotherQueue_IsForwardedWithItsHashReport()
    {
        using var exchange = new SteeringExchange(4, 4096);
        var steerer = new SoftwareSteerer(exchange, Classify, vnetHeaderBytes: 20);
        byte[] packet = Packet(20, queueByte: 3);

        Assert.Equal(3, steerer.Steer(0, packet, RssConfiguration.Spread(4), activePairs: 4, reportHash: true));

        byte[]? got = null;
        Assert.Equal(1, exchange.Drain(3, p => { got = p.ToArray(); return true; }));
        // virtio 1.2 §5.1.6: struct virtio_net_hdr_v1_hash { ...; le32 hash_value; le16 hash_report; le16 padding_reserved; }
        Assert.Equal(0xA1B2C3D4u, BinaryPrimitives.ReadUInt32LittleEndian(got.AsSpan(12)));
        Assert.Equal((ushort)VirtioNetHashReport.TcpV4, BinaryPrimitives.ReadUInt16LittleEndian(got.AsSpan(16)));
        Assert.Equal(0, BinaryPrimitives.ReadUInt16LittleEndian(got.AsSpan(18)));
        Assert.Equal(packet, got);
    }

    [Fact]
    public void APacketForItsOwnQueue_StaysWithTheCaller()
    {
        using var exchange = new SteeringExchange(2, 4096);
        var steerer = new SoftwareSteerer(exchange, Classify, vnetHeaderBytes: 20);
        byte[] packet = Packet(20, queueByte: 1);
        Assert.Equal(1, steerer.Steer(1, packet, RssConfiguration.Spread(2), 2, reportHash: true));
        Assert.Equal(0, exchange.Drain(0, _ => true));
        Assert.Equal(0xA1B2C3D4u, BinaryPrimitives.ReadUInt32LittleEndian(packet.AsSpan(12)));
    }

    [Fact]
    public void WithoutHashReport_TheHeaderIsLeftAlone()
    {
        using var exchange = new SteeringExchange(2, 4096);
        var steerer = new SoftwareSteerer(exchange, Classify, vnetHeaderBytes: 12);
        byte[] packet = Packet(12, queueByte: 0);
        steerer.Steer(0, packet, RssConfiguration.Spread(2), 2, reportHash: true);
        Assert.All(packet[..12], b => Assert.Equal(0xEE, b));
    }

    [Fact]
    public void AQueueBeyondTheActivePairs_Wraps_AndATruncatedPacketGoesToTheUnclassifiedQueue()
    {
        using var exchange = new SteeringExchange(4, 4096);
        var steerer = new SoftwareSteerer(exchange, Classify, 12);
        Assert.Equal(1, steerer.Steer(0, Packet(12, queueByte: 7), RssConfiguration.Spread(8), activePairs: 2, reportHash: false));
        RssConfiguration config = RssConfiguration.Spread(4) with { UnclassifiedQueue = 2 };
        Assert.Equal(2, steerer.Steer(0, new byte[5], config, activePairs: 4, reportHash: true));
    }

    [Fact]
    public void TheStamperAlone_ReportsWithoutMovingThePacket_ForTheHybridBackEnd()
    {
        var stamper = new VnetHashStamper(Classify, 20);
        byte[] packet = Packet(20, queueByte: 3);
        SteeringDecision d = stamper.Stamp(packet, RssConfiguration.Spread(4), reportHash: true);
        Assert.Equal(new SteeringDecision(0xA1B2C3D4, VirtioNetHashReport.TcpV4, 3), d);
        Assert.Equal([0xD4, 0xC3, 0xB2, 0xA1, 2, 0, 0, 0], packet[12..20]);
        Assert.Throws<ArgumentOutOfRangeException>(() => new VnetHashStamper(Classify, 16));
    }
}
