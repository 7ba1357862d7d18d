using MiniVmm.Machine.Buses;
using MiniVmm.Machine.Runtime;

namespace MiniVmm.Machine.Devices;

/// <summary>
/// The PC chipset's Reset Control Register (RST_CNT, I/O port 0xCF9; Intel ICH/PCH datasheets): bit 1
/// SYS_RST picks a hard or soft reset, bit 2 RST_CPU going from 0 to 1 starts it, bit 3 FULL_RST.
/// A reset ends the VM with status 0, as the i8042 reset does. Linux writes 0x02 then 0x06 (reboot=pci),
/// and the FADT's RESET_REG names this port with value 0x06 (reboot=acpi, Linux's default).
/// </summary>
public sealed class ResetControl : IBusDevice
{
    public const ushort Port = 0xCF9;
    public const byte SystemReset = 0x02, ResetCpu = 0x04, FullReset = 0x08;

    /// <summary>What the FADT's RESET_VALUE writes: SYS_RST | RST_CPU, a hard reset.</summary>
    public const byte HardResetValue = SystemReset | ResetCpu;

    private readonly object _lock = new();
    private readonly MachineStop _stop;
    private byte _value;

    public ResetControl(MachineStop stop)
    {
        _stop = stop;
    }

    public void Read(ulong offset, Span<byte> data)
    {
        data.Fill(0xFF);
        if (data.Length == 0) return;
        lock (_lock) data[0] = _value;
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        bool reset;
        lock (_lock)
        {
            byte value = (byte)(data[0] & (SystemReset | ResetCpu | FullReset));
            reset = (_value & ResetCpu) == 0 && (value & ResetCpu) != 0;
            _value = value;
        }
        if (reset) _stop.Request(0);
    }
}
