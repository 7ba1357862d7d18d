using MiniVmm.Machine.Buses;
using MiniVmm.Machine.Runtime;

namespace MiniVmm.Machine.Devices;

/// <summary>
/// The ACPI fixed hardware the FADT points at (ACPI 6.5, 4.8.3): the PM1a event block (status and
/// enable, 0x600), the PM1a control block (0x604) and the power management timer (0x608), laid out
/// as on QEMU's ICH9. Writing SLP_EN with SLP_TYP = the \_S5 value powers the machine off, which
/// ends the VM with status 0: that is how Linux's poweroff (acpi_power_off) reaches the VMM.
/// <para>
/// Nothing here raises the SCI: there is no power button, no GPE and no fixed event to report, so
/// the status bits stay clear except WAK_STS after a sleep to a state the DSDT does not offer (the
/// machine "wakes" at once and the guest goes on).
/// </para>
/// </summary>
public sealed class AcpiFixedHardware : IBusDevice
{
    public const ushort BasePort = 0x600;
    public const int RangeLength = 12;

    public const ushort Pm1aEventBlock = BasePort, Pm1aControlBlock = BasePort + 4, PmTimerBlock = BasePort + 8;
    public const byte Pm1EventLength = 4, Pm1ControlLength = 2, PmTimerLength = 4;

    /// <summary>The SCI is ISA IRQ 9 (GSI 9), level-triggered, as on a PC (the MADT overrides its polarity to active high).</summary>
    public const byte SciIrq = 9;

    /// <summary>SLP_TYP of \_S5 (soft off) in the DSDT; the only sleep state MiniVmm offers.</summary>
    public const byte SoftOffSleepType = 5;

    /// <summary>"The power management timer is a 24-bit or 32-bit fixed rate free running count-up timer that runs off a 3.579545 MHz clock" (4.8.3.3).</summary>
    public const long PmTimerHz = 3_579_545;

    // PM1 status / enable bits (4.8.3.1, tables 4.16 and 4.17), PM1 control bits (4.8.3.2, table 4.18).
    public const ushort WakeStatus = 1 << 15;
    public const ushort SciEnable = 1 << 0, SleepEnable = 1 << 13;
    public const int SleepTypeShift = 10;
    public const ushort SleepTypeMask = 0x7 << SleepTypeShift;
    private const ushort EnableBitsKept = 0x0721; // TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN
    private const ushort ControlBitsKept = 0x0006 | SleepTypeMask; // BM_RLD, GBL_RLS, SLP_TYP

    private const int StatusOffset = 0, EnableOffset = 2, ControlOffset = 4, TimerOffset = 8;

    private readonly object _lock = new();
    private readonly MachineStop _stop;
    private readonly TimeProvider _clock;
    private readonly long _start;
    private ushort _status, _enable, _control = SciEnable;

    public AcpiFixedHardware(MachineStop stop, TimeProvider clock)
    {
        _stop = stop;
        _clock = clock;
        _start = clock.GetTimestamp();
    }

    public void Read(ulong offset, Span<byte> data)
    {
        Span<byte> registers = stackalloc byte[RangeLength];
        registers.Fill(0xFF);
        lock (_lock)
        {
            Put(registers, StatusOffset, _status);
            Put(registers, EnableOffset, _enable);
            Put(registers, ControlOffset, _control);
        }
        uint timer = TimerValue();
        for (int i = 0; i < 4; i++) registers[TimerOffset + i] = (byte)(timer >> (8 * i));
        for (int i = 0; i < data.Length; i++)
            data[i] = offset + (ulong)i < RangeLength ? registers[(int)offset + i] : (byte)0xFF;
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        byte? sleepType = null;
        lock (_lock)
        {
            if (Overlaps(offset, data, StatusOffset, out ushort value, out ushort mask))
                _status &= (ushort)~(value & mask); // write 1 to clear
            if (Overlaps(offset, data, EnableOffset, out value, out mask))
                _enable = (ushort)((_enable & ~mask) | (value & mask & EnableBitsKept));
            if (Overlaps(offset, data, ControlOffset, out value, out mask))
            {
                _control = (ushort)(SciEnable | (((_control & ~mask) | (value & mask)) & ControlBitsKept));
                // SLP_EN is write-only and reads 0; writing it starts the transition to SLP_TYP.
                if ((value & mask & SleepEnable) != 0) sleepType = (byte)((_control & SleepTypeMask) >> SleepTypeShift);
            }
            if (sleepType is byte type && type != SoftOffSleepType) _status |= WakeStatus;
        }
        if (sleepType == SoftOffSleepType) _stop.Request(0);
        else if (sleepType is byte other) MachineLog.Debug($"ACPI: sleep to SLP_TYP {other}, which no \\_Sx offers: woken at once");
    }

    /// <summary>The PM timer's 32-bit count (TMR_VAL_EXT is set in the FADT), from the host's monotonic clock.</summary>
    private uint TimerValue()
    {
        long elapsed = _clock.GetTimestamp() - _start;
        return (uint)((UInt128)(ulong)elapsed * (ulong)PmTimerHz / (ulong)_clock.TimestampFrequency);
    }

    private static void Put(Span<byte> registers, int at, ushort value)
    {
        registers[at] = (byte)value;
        registers[at + 1] = (byte)(value >> 8);
    }

    /// <summary>The bytes of a write that fall in the 16-bit register at <paramref name="register"/>, and which of them.</summary>
    private static bool Overlaps(ulong offset, ReadOnlySpan<byte> data, int register, out ushort value, out ushort mask)
    {
        value = 0;
        mask = 0;
        for (int i = 0; i < data.Length; i++)
        {
            ulong at = offset + (ulong)i;
            if (at < (ulong)register || at >= (ulong)register + 2) continue;
            int shift = 8 * (int)(at - (ulong)register);
            value |= (ushort)(data[i] << shift);
            mask |= (ushort)(0xFF << shift);
        }
        return mask != 0;
    }
}
