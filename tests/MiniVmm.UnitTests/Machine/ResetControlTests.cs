using MiniVmm.Machine.Devices;
using MiniVmm.Machine.Runtime;

namespace MiniVmm.UnitTests.Machine;

/// <summary>RST_CNT at 0xCF9: "RST_CPU: When this bit transitions from a 0 to a 1, it initiates a hard or soft reset".</summary>
public sealed class ResetControlTests
{
    [Theory]
    [InlineData(new byte[] { 0x02, 0x06 })] // Linux reboot=pci: pick hard reset, then start it
    [InlineData(new byte[] { 0x06 })]       // the FADT RESET_VALUE alone
    [InlineData(new byte[] { 0x04 })]       // soft reset
    [InlineData(new byte[] { 0x02, 0x0E })] // full reset
    public void Rst_cpu_rising_resets_the_machine_with_status_0(byte[] writes)
    {
        var stop = new MachineStop();
        var rcr = new ResetControl(stop);
        foreach (byte w in writes[..^1]) rcr.Write(0, [w]);
        Assert.False(stop.IsRequested);
        rcr.Write(0, [writes[^1]]);
        Assert.True(stop.IsRequested);
        Assert.Equal(0, stop.Status);
        Assert.Null(stop.Error);
    }

    [Fact]
    public void Other_bits_select_without_resetting_and_read_back()
    {
        var stop = new MachineStop();
        var rcr = new ResetControl(stop);
        rcr.Write(0, [0xF2]); // bits 7:4 reserved, dropped
        Span<byte> b = stackalloc byte[1];
        rcr.Read(0, b);
        Assert.Equal(0x02, b[0]);
        Assert.False(stop.IsRequested);
    }
}
