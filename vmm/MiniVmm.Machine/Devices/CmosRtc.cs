using MiniVmm.Machine.Buses;

namespace MiniVmm.Machine.Devices;

/// <summary>
/// The PC's CMOS real-time clock (Motorola MC146818A) at ports 0x70 (index; bit 7 is the NMI mask)
/// and 0x71 (data): date and time from the host clock in UTC (what Linux assumes of a PC's RTC),
/// in BCD or binary and 12- or 24-hour form as register B asks, the status registers A-D, and the
/// 114 bytes of battery-backed RAM with the century at 0x32 (the FADT's CENTURY field says so).
/// <para>
/// A guest whose wall clock comes from here (no kvm-clock) needs it: with nothing at 0x70 it reads
/// 0xFF, so Linux 6.1 starts in 1970 and 5.10/5.15 spin forever in mach_get_cmos_time waiting for
/// the update-in-progress bit to clear. Time set by the guest (SET in register B, write, clear SET)
/// is kept as an offset from the host clock. No interrupts: IRQ 8 is never raised and register C
/// reads 0; the DSDT describes the device without an IRQ, so Linux runs it without alarms.
/// </para>
/// </summary>
public sealed class CmosRtc : IBusDevice
{
    public const ushort IndexPort = 0x70;
    public const int PortCount = 2;

    // Register indices (MC146818A datasheet, "Address map"; 0x32 the PC century byte).
    public const byte Seconds = 0x00, Minutes = 0x02, Hours = 0x04, DayOfWeek = 0x06, DayOfMonth = 0x07,
        Month = 0x08, Year = 0x09, RegisterA = 0x0A, RegisterB = 0x0B, RegisterC = 0x0C, RegisterD = 0x0D, Century = 0x32;

    public const byte RegisterAUpdateInProgress = 0x80;
    public const byte RegisterBSet = 0x80, RegisterBUpdateEndedInterrupt = 0x10, RegisterBBinary = 0x04, RegisterB24Hour = 0x02;
    public const byte RegisterDValidRamAndTime = 0x80;
    public const byte HourPm = 0x80;

    /// <summary>The datasheet's t_BUC: UIP rises 244 us before each update, during which the time must not be read.</summary>
    public static readonly TimeSpan UpdateInProgressLead = TimeSpan.FromTicks(2440);

    private const byte DefaultRegisterA = 0x26; // 32.768 kHz time base, 1024 Hz periodic rate, as a PC BIOS leaves it
    private const byte DefaultRegisterB = RegisterB24Hour; // BCD, 24-hour, no interrupts

    private readonly object _lock = new();
    private readonly TimeProvider _clock;
    private readonly byte[] _ram = new byte[128];
    private byte _index;
    private TimeSpan _offset; // guest time minus host time
    private bool _editing;    // between SET raised and SET cleared, the time registers hold what the guest wrote

    public CmosRtc(TimeProvider clock)
    {
        _clock = clock;
        _ram[RegisterA] = DefaultRegisterA;
        _ram[RegisterB] = DefaultRegisterB;
    }

    public void Read(ulong offset, Span<byte> data)
    {
        data.Fill(0xFF);
        if (data.Length == 0 || offset != 1) return; // the index port is write-only
        lock (_lock) data[0] = ReadRegister(_index);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (data.Length == 0) return;
        lock (_lock)
        {
            if (offset == 0) _index = (byte)(data[0] & 0x7F); // bit 7 masks NMIs on a PC; there is no NMI source to mask
            else if (offset == 1) WriteRegister(_index, data[0]);
        }
    }

    private byte ReadRegister(byte index)
    {
        switch (index)
        {
            case RegisterA:
                return (byte)(_ram[RegisterA] | (UpdateInProgress() ? RegisterAUpdateInProgress : 0));
            case RegisterC:
                return 0; // no interrupt flags: nothing is emulated that would raise one
            case RegisterD:
                return RegisterDValidRamAndTime;
            default:
                if (IsTimeRegister(index) && !_editing) return Encode(index, GuestNow());
                return _ram[index];
        }
    }

    private void WriteRegister(byte index, byte value)
    {
        switch (index)
        {
            case RegisterA:
                _ram[RegisterA] = (byte)(value & 0x7F); // UIP is read-only
                return;
            case RegisterB:
                bool set = (value & RegisterBSet) != 0;
                if (set && !_editing) Snapshot();
                // SET also clears UIE (datasheet, register B bit 7).
                _ram[RegisterB] = set ? (byte)(value & ~RegisterBUpdateEndedInterrupt) : value;
                if (!set && _editing) Commit();
                return;
            case RegisterC:
            case RegisterD:
                return; // read-only
            default:
                if (!IsTimeRegister(index) || _editing)
                {
                    _ram[index] = value;
                    return;
                }
                // A time register written while the clock runs: as if SET had been raised around the write.
                Snapshot();
                _ram[index] = value;
                Commit();
                return;
        }
    }

    private static bool IsTimeRegister(byte index) =>
        index is Seconds or Minutes or Hours or DayOfWeek or DayOfMonth or Month or Year or Century;

    private DateTime GuestNow() => _clock.GetUtcNow().UtcDateTime + _offset;

    /// <summary>UIP: updates run (SET clear) and the next once-a-second update is less than 244 us away.</summary>
    private bool UpdateInProgress()
    {
        if ((_ram[RegisterB] & RegisterBSet) != 0) return false;
        long intoSecond = GuestNow().Ticks % TimeSpan.TicksPerSecond;
        return intoSecond >= TimeSpan.TicksPerSecond - UpdateInProgressLead.Ticks;
    }

    /// <summary>Freezes the running time into the time registers, for the guest to edit.</summary>
    private void Snapshot()
    {
        DateTime now = GuestNow();
        foreach (byte r in new[] { Seconds, Minutes, Hours, DayOfWeek, DayOfMonth, Month, Year, Century })
            _ram[r] = Encode(r, now);
        _editing = true;
    }

    /// <summary>Starts the clock from what the time registers hold; a date that does not exist leaves the time as it was.</summary>
    private void Commit()
    {
        _editing = false;
        int hour = DecodeHour(_ram[Hours]);
        int year = Decode(_ram[Century]) * 100 + Decode(_ram[Year]);
        int month = Decode(_ram[Month]), day = Decode(_ram[DayOfMonth]), minute = Decode(_ram[Minutes]), second = Decode(_ram[Seconds]);
        if (year is < 1 or > 9999 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month)
            || hour is < 0 or > 23 || minute is < 0 or > 59 || second is < 0 or > 59) return;
        var set = new DateTime(year, month, day, hour, minute, second, DateTimeKind.Utc);
        // The seconds restart counting at the write, so the new second starts now (what the chip does when SET clears).
        _offset = set - _clock.GetUtcNow().UtcDateTime;
    }

    private bool Binary => (_ram[RegisterB] & RegisterBBinary) != 0;

    private bool TwentyFourHour => (_ram[RegisterB] & RegisterB24Hour) != 0;

    private byte Encode(byte register, DateTime t) => register switch
    {
        Seconds => Number(t.Second),
        Minutes => Number(t.Minute),
        Hours => EncodeHour(t.Hour),
        DayOfWeek => Number((int)t.DayOfWeek + 1), // 1 = Sunday
        DayOfMonth => Number(t.Day),
        Month => Number(t.Month),
        Year => Number(t.Year % 100),
        Century => Number(t.Year / 100),
        _ => _ram[register],
    };

    private byte EncodeHour(int hour)
    {
        if (TwentyFourHour) return Number(hour);
        // 12-hour form: 12, 1..11 with bit 7 set in the afternoon (datasheet, table 3).
        int twelve = hour % 12 == 0 ? 12 : hour % 12;
        return (byte)(Number(twelve) | (hour >= 12 ? HourPm : 0));
    }

    private int DecodeHour(byte value)
    {
        if (TwentyFourHour) return Decode(value);
        int twelve = Decode((byte)(value & 0x7F));
        return twelve % 12 + ((value & HourPm) != 0 ? 12 : 0);
    }

    private byte Number(int value) => Binary ? (byte)value : (byte)(((value / 10) << 4) | (value % 10));

    private int Decode(byte value) => Binary ? value : (value >> 4) * 10 + (value & 0x0F);
}
