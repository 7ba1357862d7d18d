using System.Text;
using System.Text.RegularExpressions;
using MiniVmm.Machine.Boot;
using MiniVmm.Machine.Boot.Acpi;
using MiniVmm.Memory;

namespace MiniVmm.UnitTests.Boot;

/// <summary>
/// The FADT as ACPICA reads it (iasl's disassembly names every field), and the trap it must never fall
/// into: a FADT without a DSDT, which makes Linux parse whatever its DSDT pointer names and panic.
/// </summary>
public sealed class FadtTests
{
    private readonly ArrayGuestMemory _memory = new(1 << 20);

    private string Text(ulong a, int n) => Encoding.ASCII.GetString(_memory.GetSpan(new GuestAddress(a), (ulong)n));

    private int Sum(ulong a, uint n)
    {
        int sum = 0;
        foreach (byte b in _memory.GetSpan(new GuestAddress(a), n)) sum += b;
        return sum & 0xFF;
    }

    /// <summary>Every table the XSDT lists, by signature.</summary>
    private Dictionary<string, ulong> Tables()
    {
        ulong xsdt = _memory.ReadU64(new GuestAddress(0xE0000 + 24));
        uint length = _memory.ReadU32(new GuestAddress(xsdt + 4));
        var tables = new Dictionary<string, ulong>();
        for (ulong e = xsdt + 36; e < xsdt + length; e += 8)
        {
            ulong table = _memory.ReadU64(new GuestAddress(e));
            tables.Add(Text(table, 4), table);
        }
        return tables;
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(254)]
    public void Never_a_fadt_without_its_dsdt(int cpus)
    {
        AcpiTables.Write(_memory, cpus);
        ulong fadt = Assert.Contains("FACP", Tables());
        uint dsdt32 = _memory.ReadU32(new GuestAddress(fadt + 40));        // DSDT
        ulong dsdt64 = _memory.ReadU64(new GuestAddress(fadt + 140));      // X_DSDT
        Assert.NotEqual(0u, dsdt32);
        Assert.Equal(dsdt32, dsdt64);
        Assert.Equal("DSDT", Text(dsdt64, 4));
        uint length = _memory.ReadU32(new GuestAddress(dsdt64 + 4));
        Assert.InRange(length, 37u, 0x1_0000u);                            // a header and some AML
        Assert.True(dsdt64 + length <= 0x10_0000, "the DSDT must lie in the reserved BIOS area");
        Assert.Equal(0, Sum(dsdt64, length));
        // The FACS a full (not hardware-reduced) FADT needs: 64-byte aligned, "FACS", 64 bytes.
        ulong facs = _memory.ReadU32(new GuestAddress(fadt + 36));          // FIRMWARE_CTRL
        Assert.Equal(0ul, _memory.ReadU64(new GuestAddress(fadt + 132)));  // X_FIRMWARE_CTRL: one FACS, not two
        Assert.Equal(0ul, facs % 64);
        Assert.Equal(("FACS", 64u), (Text(facs, 4), _memory.ReadU32(new GuestAddress(facs + 4))));
    }

    [Fact]
    public void The_fadt_writer_refuses_to_write_one_without_a_dsdt()
    {
        var fadt = new byte[Fadt.Length];
        Assert.Throws<ArgumentException>(() => Fadt.Write(fadt, AcpiTables.FacsAddress, dsdtAddress: 0));
    }

    [Fact]
    public void Acpica_reads_the_fixed_hardware_the_reset_register_and_the_century_where_the_vmm_has_them()
    {
        AcpiTables.Write(_memory, 2);
        ulong fadt = Tables()["FACP"];
        uint length = _memory.ReadU32(new GuestAddress(fadt + 4));
        Assert.Equal(276u, length); // revision 6 layout (ACPI 6.5, table 5.9)
        Assert.Equal(0, Sum(fadt, length));
        string asl = Iasl.Disassemble(_memory.GetSpan(new GuestAddress(fadt), length), "fadt");

        string Field(string name) =>
            Regex.Match(asl, @"\] +" + Regex.Escape(name) + @" : ([0-9A-F]+)").Groups[1].Value is { Length: > 0 } v
                ? v : throw new Xunit.Sdk.XunitException($"iasl shows no '{name}':\n{asl}");

        Assert.Equal("0009", Field("SCI Interrupt"));
        Assert.Equal("00000000", Field("SMI Command Port"));     // always in ACPI mode
        Assert.Equal("00000600", Field("PM1A Event Block Address"));
        Assert.Equal("00000604", Field("PM1A Control Block Address"));
        Assert.Equal("00000608", Field("PM Timer Block Address"));
        Assert.Equal("04", Field("PM1 Event Block Length"));
        Assert.Equal("02", Field("PM1 Control Block Length"));
        Assert.Equal("04", Field("PM Timer Block Length"));
        Assert.Equal("32", Field("RTC Century Index"));
        Assert.Equal("06", Field("Value to cause reset"));
        Assert.Matches(new Regex(@"Reset Register : \[Generic Address Structure\]\s*\[[^\]]*\] +Space ID : 01 \[SystemIO\][\s\S]*?Address : 0000000000000CF9"), asl);
        Assert.Matches(new Regex(@"Reset Register Supported \(V2\) : 1"), asl);
        Assert.Matches(new Regex(@"Hardware Reduced \(V5\) : 0"), asl);   // the PIT and the 8259s stay
        Assert.Matches(new Regex(@"8042 Present on ports 60/64 \(V2\) : 1"), asl);
        Assert.Matches(new Regex(@"CMOS RTC Not Present \(V5\) : 0"), asl);
    }
}
