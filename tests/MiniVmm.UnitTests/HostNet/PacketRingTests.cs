using System.Buffers.Binary;
using MiniVmm.HostNet.Software;

namespace MiniVmm.UnitTests.HostNet;

public sealed class PacketRingTests
{
    private static byte[] Packet(int id, int length)
    {
        var p = new byte[length];
        for (int i = 0; i < length; i++) p[i] = (byte)(id * 31 + i);
        if (length >= 4) BinaryPrimitives.WriteInt32LittleEndian(p, id);
        return p;
    }

    [Fact]
    public void PacketsComeOutInOrder_ByteForByte()
    {
        var ring = new PacketRing(256);
        Assert.True(ring.TryWrite(Packet(1, 10), out bool idle1));
        Assert.True(ring.TryWrite(Packet(2, 3), out bool idle2));
        Assert.True(idle1);
        Assert.False(idle2); // the consumer had not taken packet 1 yet

        Assert.True(ring.TryPeek(out ReadOnlySpan<byte> a));
        Assert.Equal(Packet(1, 10), a.ToArray());
        ring.Release();
        Assert.True(ring.TryPeek(out ReadOnlySpan<byte> b));
        Assert.Equal(Packet(2, 3), b.ToArray());
        ring.Release();
        Assert.False(ring.TryPeek(out _));
        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public void AFullRing_RefusesUntilTheConsumerReleases()
    {
        var ring = new PacketRing(64);
        // Each 12-byte packet takes 4 + 12 = 16 bytes: four fill 64.
        for (int i = 0; i < 4; i++) Assert.True(ring.TryWrite(Packet(i, 12), out _));
        Assert.False(ring.TryWrite(Packet(9, 1), out _));
        Assert.True(ring.TryPeek(out _));
        ring.Release();
        Assert.True(ring.TryWrite(Packet(4, 12), out _));
    }

    [Fact]
    public void ARecordThatWouldCrossTheEnd_SkipsToTheStart()
    {
        var ring = new PacketRing(64);
        Assert.True(ring.TryWrite(Packet(1, 36), out _));  // 40 bytes at 0..39
        Assert.True(ring.TryPeek(out _));
        ring.Release();                                        // head 40
        Assert.True(ring.TryWrite(Packet(2, 28), out _));   // 32 bytes do not fit in 40..63: skip to 0
        Assert.True(ring.TryPeek(out ReadOnlySpan<byte> p));
        Assert.Equal(Packet(2, 28), p.ToArray());
        ring.Release();
        Assert.True(ring.IsEmpty);
    }

    [Fact]
    public void APacketLargerThanTheRing_IsRefused_AndEmptyPacketsWork()
    {
        var ring = new PacketRing(64);
        Assert.Equal(60, ring.MaxPacketBytes);
        Assert.False(ring.TryWrite(new byte[61], out _));
        Assert.True(ring.TryWrite(new byte[60], out _));
        Assert.True(ring.TryPeek(out ReadOnlySpan<byte> full));
        Assert.Equal(60, full.Length);
        ring.Release();
        Assert.True(ring.TryWrite([], out _));
        Assert.True(ring.TryPeek(out ReadOnlySpan<byte> empty));
        Assert.Equal(0, empty.Length);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(63)]
    [InlineData(100)]
    public void Capacity_MustBeAPowerOfTwoOfAtLeast64(int bytes) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new PacketRing(bytes));

    [Fact]
    public void ReleaseWithoutPeek_IsAnError() =>
        Assert.Throws<InvalidOperationException>(() => new PacketRing(64).Release());

    [Fact]
    public void OneProducerThreadAndOneConsumerThread_LoseAndCorruptNothing()
    {
        const int count = 50_000;
        var ring = new PacketRing(4096);
        var producer = new Thread(() =>
        {
            for (int i = 0; i < count; i++)
            {
                byte[] p = Packet(i, 4 + i % 97);
                while (!ring.TryWrite(p, out _)) Thread.SpinWait(10);
            }
        });
        producer.Start();
        int next = 0;
        long deadline = Environment.TickCount64 + 30_000;
        while (next < count && Environment.TickCount64 < deadline)
        {
            if (!ring.TryPeek(out ReadOnlySpan<byte> p)) { Thread.SpinWait(10); continue; }
            Assert.Equal(4 + next % 97, p.Length);
            Assert.True(p.SequenceEqual(Packet(next, 4 + next % 97)), $"packet {next} corrupted");
            ring.Release();
            next++;
        }
        producer.Join();
        Assert.Equal(count, next);
    }
}
