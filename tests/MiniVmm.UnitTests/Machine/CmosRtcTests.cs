using MiniVmm.Machine.Devices;
using MiniVmm.UnitTests.Fakes;

namespace MiniVmm.UnitTests.Machine;

/// <summary>
/// The MC146818A RTC as Linux's mc146818_get_time/set_time drive it: select a register at 0x70, read or
/// write it at 0x71. Expected bytes are written out by hand from the datasheet's tables (BCD: 59 s is
/// 0x59; 12-hour form: 1 PM is 0x81, midnight 0x12).
/// </summary>
public sealed class CmosRtcTests
{
    // Wednesday 2 December 2026, 13:45:59.5 UTC.
    private static readonly DateTimeOffset Start = new(2026, 12, 2, 13, 45, 59, 500, TimeSpan.Zero);

    private readonly ManualClock _clock = new(Start);
    private readonly CmosRtc _rtc;

    public CmosRtcTests()
    {
        _rtc = new CmosRtc(_clock);
    }

    private byte Read(byte register)
    {
        _rtc.Write(0, [register]);
        Span<byte> value = stackalloc byte[1];
        _rtc.Read(1, value);
        return value[0];
    }

    private void WriteRegister(byte register, byte value)
    {
        _rtc.Write(0, [register]);
        _rtc.Write(1, [value]);
    }

    private (byte, byte, byte, byte, byte, byte, byte, byte) Time() =>
        (Read(0x32), Read(0x09), Read(0x08), Read(0x07), Read(0x06), Read(0x04), Read(0x02), Read(0x00));

    [Fact]
    public void Powers_up_as_a_pc_bios_leaves_it_in_bcd_24_hour_form()
    {
        Assert.Equal(0x26, Read(0x0A)); // 32.768 kHz divider, 1024 Hz rate, UIP clear
        Assert.Equal(0x02, Read(0x0B)); // 24-hour, BCD, no interrupts
        Assert.Equal(0x80, Read(0x0D)); // VRT: RAM and time valid (Linux also checks bit 6 is 0)
        Assert.Equal(0x00, Read(0x0C));
        // century 20, year 26, December, the 2nd, Wednesday (Sunday = 1), 13:45:59
        Assert.Equal(((byte)0x20, (byte)0x26, (byte)0x12, (byte)0x02, (byte)0x04, (byte)0x13, (byte)0x45, (byte)0x59), Time());
    }

    [Fact]
    public void Binary_mode_gives_plain_numbers()
    {
        WriteRegister(0x0B, 0x06); // DM = binary, 24-hour
        Assert.Equal(((byte)20, (byte)26, (byte)12, (byte)2, (byte)4, (byte)13, (byte)45, (byte)59), Time());
    }

    [Theory]
    [InlineData(13, 0x02, 0x81)] // BCD, 1 PM
    [InlineData(0, 0x02, 0x12)]  // BCD, midnight is 12 AM
    [InlineData(12, 0x02, 0x92)] // BCD, noon is 12 PM
    [InlineData(23, 0x02, 0x91)] // BCD, 11 PM
    [InlineData(13, 0x06, 0x81)] // binary, 1 PM
    [InlineData(0, 0x06, 0x0C)]  // binary, 12 AM
    [InlineData(22, 0x06, 0x8A)] // binary, 10 PM
    public void Twelve_hour_form_sets_bit_7_after_noon(int hour, byte modeBits, byte expected)
    {
        _clock.Set(new DateTimeOffset(2026, 12, 2, hour, 0, 0, TimeSpan.Zero));
        WriteRegister(0x0B, (byte)(modeBits & ~0x02)); // clear 24/12: 12-hour form
        Assert.Equal(expected, Read(0x04));
    }

    [Fact]
    public void The_time_follows_the_host_clock()
    {
        _clock.Advance(TimeSpan.FromSeconds(1)); // 13:46:00.5
        Assert.Equal((0x46, 0x00), (Read(0x02), Read(0x00)));
        _clock.Set(new DateTimeOffset(2099, 12, 31, 23, 59, 59, 999, TimeSpan.Zero));
        _clock.Advance(TimeSpan.FromMilliseconds(1)); // Friday 1 January 2100: new year, new century
        Assert.Equal(((byte)0x21, (byte)0x00, (byte)0x01, (byte)0x01, (byte)0x06, (byte)0x00, (byte)0x00, (byte)0x00), Time());
    }

    [Fact]
    public void Update_in_progress_rises_244_us_before_each_second_and_never_while_SET()
    {
        Assert.Equal(0, Read(0x0A) & 0x80); // .5 s into the second
        _clock.Set(new DateTimeOffset(2026, 12, 2, 13, 45, 59, TimeSpan.Zero).AddTicks(TimeSpan.TicksPerSecond - 2440));
        Assert.Equal(0x80, Read(0x0A) & 0x80); // 244 us before the update
        _clock.Advance(TimeSpan.FromTicks(-1));
        Assert.Equal(0, Read(0x0A) & 0x80); // 244.1 us before: still readable
        _clock.Advance(TimeSpan.FromTicks(1));
        WriteRegister(0x0B, 0x82); // SET: updates stop
        Assert.Equal(0, Read(0x0A) & 0x80);
        WriteRegister(0x0A, 0xA6); // UIP is read-only
        Assert.Equal(0x26, Read(0x0A));
    }

    [Fact]
    public void Time_the_guest_sets_runs_on_from_the_host_clock()
    {
        WriteRegister(0x0B, 0x82); // SET, 24-hour, BCD: mc146818_set_time's sequence
        WriteRegister(0x00, 0x30);
        WriteRegister(0x02, 0x15);
        WriteRegister(0x04, 0x08);
        WriteRegister(0x07, 0x29);
        WriteRegister(0x08, 0x02);
        WriteRegister(0x09, 0x28);
        WriteRegister(0x32, 0x20);
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0x30, Read(0x00)); // frozen while SET
        WriteRegister(0x0B, 0x02);     // clear SET: the clock starts from 2028-02-29 08:15:30
        _clock.Advance(TimeSpan.FromSeconds(61));
        // 08:16:31 on Tuesday 29 February 2028 (a leap day)
        Assert.Equal(((byte)0x20, (byte)0x28, (byte)0x02, (byte)0x29, (byte)0x03, (byte)0x08, (byte)0x16, (byte)0x31), Time());
    }

    [Fact]
    public void A_date_that_does_not_exist_leaves_the_clock_alone()
    {
        WriteRegister(0x0B, 0x82);
        WriteRegister(0x07, 0x31); // 31 February
        WriteRegister(0x08, 0x02);
        WriteRegister(0x0B, 0x02);
        Assert.Equal(((byte)0x20, (byte)0x26, (byte)0x12, (byte)0x02, (byte)0x04, (byte)0x13, (byte)0x45, (byte)0x59), Time());
    }

    [Fact]
    public void Writing_one_time_register_while_running_moves_only_that_field()
    {
        WriteRegister(0x04, 0x07); // hours, clock running
        _clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal((0x07, 0x46, 0x00), (Read(0x04), Read(0x02), Read(0x00)));
    }

    [Fact]
    public void Nvram_keeps_bytes_and_the_nmi_mask_bit_does_not_select_another_register()
    {
        WriteRegister(0x40, 0xAB);
        WriteRegister(0x7F, 0xCD);
        Assert.Equal((0xAB, 0xCD), (Read(0x40), Read(0x7F)));
        Assert.Equal(0x80, Read(0x8D)); // 0x80 | 0x0D: register D with NMIs masked
        WriteRegister(0x0D, 0x00);      // read-only
        WriteRegister(0x0C, 0xFF);
        Assert.Equal((0x80, 0x00), (Read(0x0D), Read(0x0C)));
    }

    [Fact]
    public void The_index_port_reads_as_open_bus()
    {
        _rtc.Write(0, [0x0A]);
        Span<byte> value = stackalloc byte[1];
        _rtc.Read(0, value);
        Assert.Equal(0xFF, value[0]);
    }
}
