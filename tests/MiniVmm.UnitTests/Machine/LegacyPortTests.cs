using MiniVmm.Machine.Devices;
using MiniVmm.Machine.Runtime;

namespace MiniVmm.UnitTests.Machine;

public sealed class LegacyPortTests
{
    [Theory]
    [InlineData(new byte[] { 0 }, 1)]
    [InlineData(new byte[] { 5 }, 11)]
    [InlineData(new byte[] { 0x7F }, 0xFF)]
    [InlineData(new byte[] { 0x01, 0x01 }, 0x203)] // a 16-bit write counts whole, as in QEMU's isa-debug-exit
    public void Exit_port_write_of_v_ends_with_v_shifted_left_or_one(byte[] written, int expected)
    {
        var stop = new MachineStop();
        new DebugExitPort(stop).Write(0, written);
        Assert.True(stop.IsRequested);
        Assert.Equal(expected, stop.Status);
        Assert.Null(stop.Error);
    }

    [Fact]
    public void First_stop_request_wins()
    {
        var stop = new MachineStop();
        Assert.True(stop.Request(11));
        Assert.False(stop.Fail("later failure"));
        Assert.Equal(11, stop.Status);
        Assert.Null(stop.Error);
    }

    [Fact]
    public void I8042_reset_command_ends_the_machine_with_status_0()
    {
        var stop = new MachineStop();
        var kbc = new I8042Controller(stop);
        kbc.Write(4, [0xAA]); // self test first: must not stop anything
        Span<byte> b = stackalloc byte[1];
        kbc.Read(4, b);
        Assert.Equal(0x01, b[0] & 0x01); // output buffer full
        kbc.Read(0, b);
        Assert.Equal(0x55, b[0]);
        Assert.False(stop.IsRequested);

        kbc.Write(4, [0xFE]);
        Assert.True(stop.IsRequested);
        Assert.Equal(0, stop.Status);
    }

    [Fact]
    public void I8042_config_byte_round_trips()
    {
        var kbc = new I8042Controller(new MachineStop());
        kbc.Write(4, [0x60]);
        kbc.Write(0, [0x25]);
        kbc.Write(4, [0x20]);
        Span<byte> b = stackalloc byte[1];
        kbc.Read(0, b);
        Assert.Equal(0x25, b[0]);
    }
}
