using MiniVmm.Machine.Buses;

namespace MiniVmm.UnitTests.Machine;

public sealed class BusTests
{
    private sealed class RecordingDevice(byte fill) : IBusDevice
    {
        public List<(ulong Offset, byte[] Data)> Writes { get; } = new();
        public List<ulong> Reads { get; } = new();
        public void Read(ulong offset, Span<byte> data) { Reads.Add(offset); data.Fill(fill); }
        public void Write(ulong offset, ReadOnlySpan<byte> data) => Writes.Add((offset, data.ToArray()));
    }

    [Fact]
    public void Accesses_go_to_the_owning_device_with_range_relative_offsets()
    {
        var bus = new Bus("pio");
        var a = new RecordingDevice(0xAA);
        var b = new RecordingDevice(0xBB);
        bus.Register(0x3F8, 8, a);
        bus.Register(0x60, 5, b);

        Span<byte> data = stackalloc byte[1];
        Assert.True(bus.Read(0x3FD, data));
        Assert.Equal(0xAA, data[0]);
        Assert.True(bus.Write(0x64, [0xFE]));

        Assert.Equal([5UL], a.Reads);
        Assert.Equal(4UL, Assert.Single(b.Writes).Offset);
    }

    [Fact]
    public void Unclaimed_reads_are_all_ones_and_writes_are_dropped()
    {
        var bus = new Bus("pio");
        var a = new RecordingDevice(0);
        bus.Register(0x3F8, 8, a);
        Span<byte> data = stackalloc byte[2];
        Assert.False(bus.Read(0x3F7, data));
        Assert.Equal(new byte[] { 0xFF, 0xFF }, data.ToArray());
        Assert.False(bus.Write(0x400, [1]));
        Assert.Empty(a.Writes);
        Assert.Empty(a.Reads);
    }

    [Fact]
    public void Overlapping_and_wrapping_ranges_are_refused()
    {
        var bus = new Bus("mmio");
        bus.Register(0x1000, 0x1000, new RecordingDevice(0));
        Assert.Throws<InvalidOperationException>(() => bus.Register(0x1FFF, 0x10, new RecordingDevice(0)));
        Assert.Throws<InvalidOperationException>(() => bus.Register(0x800, 0x801, new RecordingDevice(0)));
        Assert.Throws<ArgumentException>(() => bus.Register(ulong.MaxValue - 1, 0x10, new RecordingDevice(0)));
        Assert.Throws<ArgumentException>(() => bus.Register(0x5000, 0, new RecordingDevice(0)));
        bus.Register(0x2000, 0x10, new RecordingDevice(0)); // adjacent is fine
    }

    [Fact]
    public void Lookup_finds_every_range_among_many()
    {
        var bus = new Bus("mmio");
        var devices = new List<RecordingDevice>();
        for (int i = 0; i < 50; i++)
        {
            var d = new RecordingDevice((byte)i);
            devices.Add(d);
            bus.Register(0xC000_0000UL + (ulong)(49 - i) * 0x1000, 0x1000, d); // registered out of order
        }
        Span<byte> data = stackalloc byte[1];
        for (int i = 0; i < 50; i++)
        {
            Assert.True(bus.Read(0xC000_0000UL + (ulong)(49 - i) * 0x1000 + 0xFFF, data));
            Assert.Equal((byte)i, data[0]);
        }
        bus.Unregister(0xC000_0000UL);
        Assert.False(bus.Read(0xC000_0000UL, data));
    }
}
