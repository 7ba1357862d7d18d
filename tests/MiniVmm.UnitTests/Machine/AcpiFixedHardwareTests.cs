using MiniVmm.Machine.Devices;
using MiniVmm.Machine.Runtime;
using MiniVmm.UnitTests.Fakes;

namespace MiniVmm.UnitTests.Machine;

/// <summary>
/// PM1a event/control and the PM timer at 0x600 as ACPICA drives them (ACPI 6.5, 4.8.3): offsets are
/// from 0x600; acpi_hw_legacy_sleep writes SLP_TYP alone, then SLP_TYP | SLP_EN, as 16-bit writes.
/// </summary>
public sealed class AcpiFixedHardwareTests
{
    private readonly MachineStop _stop = new();
    private readonly ManualClock _clock = new(DateTimeOffset.UnixEpoch);
    private readonly AcpiFixedHardware _pm;

    public AcpiFixedHardwareTests()
    {
        _pm = new AcpiFixedHardware(_stop, _clock);
    }

    private ushort Read16(ulong offset)
    {
        Span<byte> b = stackalloc byte[2];
        _pm.Read(offset, b);
        return (ushort)(b[0] | (b[1] << 8));
    }

    private void Write16(ulong offset, ushort value) => _pm.Write(offset, [(byte)value, (byte)(value >> 8)]);

    [Fact]
    public void Acpi_powers_off_with_slp_typ_5_and_slp_en_ending_the_vm_with_status_0()
    {
        Write16(0, 0xFFFF);                   // clear every PM1 status bit (acpi_hw_clear_acpi_status)
        ushort control = Read16(4);
        Assert.Equal(1, control & 1);         // SCI_EN: always in ACPI mode (no SMI_CMD)
        Write16(4, (ushort)(control | (5 << 10))); // write #1: SLP_TYP = 5
        Assert.False(_stop.IsRequested);
        Write16(4, (ushort)(control | (5 << 10) | (1 << 13))); // write #2: SLP_TYP | SLP_EN
        Assert.True(_stop.IsRequested);
        Assert.Equal(0, _stop.Status);
        Assert.Null(_stop.Error);
    }

    [Fact]
    public void Slp_en_reads_0_and_another_sleep_type_wakes_at_once()
    {
        Write16(4, (1 << 10) | (1 << 13));     // S1-like: no \_S1 is offered
        Assert.False(_stop.IsRequested);
        Assert.Equal((1 << 10) | 1, Read16(4)); // SLP_TYP kept, SLP_EN write-only, SCI_EN set
        Assert.Equal(1 << 15, Read16(0));       // WAK_STS, so ACPICA's wait loop ends
        Write16(0, 1 << 15);                    // write 1 to clear
        Assert.Equal(0, Read16(0));
    }

    [Fact]
    public void A_byte_write_of_the_high_control_byte_with_slp_en_powers_off_too()
    {
        _pm.Write(5, [(5 << 2) | (1 << 5)]);   // bits 15:8 of PM1_CNT: SLP_TYP 5 (bits 12:10), SLP_EN (bit 13)
        Assert.True(_stop.IsRequested);
    }

    [Fact]
    public void Pm1_enable_keeps_only_defined_bits()
    {
        Write16(2, 0xFFFF);
        Assert.Equal(0x0721, Read16(2)); // TMR_EN, GBL_EN, PWRBTN_EN, SLPBTN_EN, RTC_EN
    }

    [Fact]
    public void The_pm_timer_counts_3579545_per_second_in_32_bits()
    {
        Span<byte> t = stackalloc byte[4];
        _pm.Read(8, t);
        Assert.Equal(0u, BitConverter.ToUInt32(t));
        _clock.Advance(TimeSpan.FromSeconds(1));
        _pm.Read(8, t);
        Assert.Equal(3_579_545u, BitConverter.ToUInt32(t));
        _clock.Advance(TimeSpan.FromSeconds(1200)); // 1201 s: 4_299_033_545 ticks, past 2^32
        _pm.Read(8, t);
        Assert.Equal(4_299_033_545u - 4_294_967_296u, BitConverter.ToUInt32(t));
    }
}
