using MiniVmm.Machine.Buses;
using MiniVmm.Machine.Runtime;

namespace MiniVmm.Machine.Devices;

/// <summary>
/// QEMU's pvpanic ISA device at port 0x505 (QEMU docs/specs/pvpanic.rst), which Linux's pvpanic
/// driver finds through the DSDT (_HID "QEMU0001"): a read returns the events supported, a write
/// of PVPANIC_PANICKED reports a guest kernel panic. That ends the VM with
/// <see cref="MachineStop.GuestPanicStatus"/> and a line saying so; PVPANIC_CRASH_LOADED (a kdump
/// kernel is taking over) lets it run on.
/// </summary>
public sealed class PvPanic : IBusDevice
{
    public const ushort Port = 0x505;
    public const byte Panicked = 1 << 0, CrashLoaded = 1 << 1;

    private readonly MachineStop _stop;

    public PvPanic(MachineStop stop)
    {
        _stop = stop;
    }

    public void Read(ulong offset, Span<byte> data)
    {
        data.Clear();
        if (data.Length > 0) data[0] = Panicked | CrashLoaded;
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        if ((data[0] & Panicked) != 0) _stop.End(MachineStop.GuestPanicStatus, "the guest kernel panicked (pvpanic)");
        else if ((data[0] & CrashLoaded) != 0) MachineLog.Debug("pvpanic: the guest panicked and is running its crash kernel");
    }
}
