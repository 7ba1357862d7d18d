using MiniVmm.Machine.Devices;
using MiniVmm.Machine.Runtime;

namespace MiniVmm.UnitTests.Machine;

/// <summary>QEMU's pvpanic spec: "bit 0: a guest panic has happened ... bit 1: a guest panic has happened and will be handled by the guest".</summary>
public sealed class PvPanicTests
{
    [Fact]
    public void Reading_reports_both_events_supported()
    {
        Span<byte> b = stackalloc byte[1];
        new PvPanic(new MachineStop()).Read(0, b);
        Assert.Equal(0x03, b[0]);
    }

    [Fact]
    public void A_panic_ends_the_vm_with_status_4_and_a_notice()
    {
        var stop = new MachineStop();
        new PvPanic(stop).Write(0, [0x01]);
        Assert.True(stop.IsRequested);
        Assert.Equal(4, stop.Status);
        Assert.Null(stop.Error);
        Assert.Equal("the guest kernel panicked (pvpanic)", stop.Notice);
    }

    [Fact]
    public void Crash_loaded_lets_the_guest_run_on()
    {
        var stop = new MachineStop();
        new PvPanic(stop).Write(0, [0x02]);
        Assert.False(stop.IsRequested);
    }
}
