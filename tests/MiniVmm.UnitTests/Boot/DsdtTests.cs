using System.Text.RegularExpressions;
using MiniVmm.Machine.Boot;
using MiniVmm.Machine.Boot.Acpi;
using MiniVmm.Memory;

namespace MiniVmm.UnitTests.Boot;

/// <summary>
/// The DSDT, checked by ACPICA's iasl: compiled from the ASL we mean it to be (byte for byte), and
/// disassembled back. Also the trap this DSDT must never fall into: a namespace without the PCI host
/// bridge and its ranges, which makes Linux's ACPI PCI code find no bus and the NIC disappear.
/// </summary>
public sealed class DsdtTests
{
    private const string ExpectedAsl = """
        DefinitionBlock ("", "DSDT", 2, "MINVMM", "MINIVMM ", 1)
        {
            Scope (\_SB)
            {
                Device (PCI0)
                {
                    Name (_HID, EisaId ("PNP0A03"))
                    Name (_UID, Zero)
                    Name (_SEG, Zero)
                    Name (_BBN, Zero)
                    Name (_CRS, ResourceTemplate ()
                    {
                        WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0x0000, 0x0000, 0x0000, 0x0000, 0x0001,,,)
                        IO (Decode16, 0x0CF8, 0x0CF8, 0x01, 0x08,)
                        WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, 0x0000, 0x0CF7, 0x0000, 0x0CF8,,,, TypeStatic, DenseTranslation)
                        WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0x0000, 0x0D00, 0xFFFF, 0x0000, 0xF300,,,, TypeStatic, DenseTranslation)
                        DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0x00000000, 0xC0000000, 0xFEBFFFFF, 0x00000000, 0x3EC00000,,,, AddressRangeMemory, TypeStatic)
                    })
                }
                Device (RTC)
                {
                    Name (_HID, EisaId ("PNP0B00"))
                    Name (_CRS, ResourceTemplate () { IO (Decode16, 0x0070, 0x0070, 0x01, 0x02,) })
                }
                Device (PEVT)
                {
                    Name (_HID, "QEMU0001")
                    Name (_STA, 0x0F)
                    Name (_CRS, ResourceTemplate () { IO (Decode16, 0x0505, 0x0505, 0x01, 0x01,) })
                }
            }
            Name (_S5, Package (0x04) { 0x05, 0x05, Zero, Zero })
        }
        """;

    private static byte[] OurDsdt(int cpus = 2)
    {
        var memory = new ArrayGuestMemory(1 << 20);
        AcpiTables.Write(memory, cpus);
        uint length = memory.ReadU32(new GuestAddress(AcpiTables.DsdtAddress + 4));
        return memory.GetSpan(new GuestAddress(AcpiTables.DsdtAddress), length).ToArray();
    }

    [Fact]
    public void The_definition_block_is_what_iasl_compiles_from_the_intended_asl()
    {
        (byte[] reference, string summary) = Iasl.Compile(ExpectedAsl);
        Assert.Equal("Compilation successful. 0 Errors, 0 Warnings, 0 Remarks, 0 Optimizations", summary);
        // The header differs only in its compiler id/revision and so its checksum; the AML must be identical.
        Assert.Equal(reference[AcpiTableHeader.Size..], OurDsdt()[AcpiTableHeader.Size..]);
        Assert.Equal(reference.Length, OurDsdt().Length);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(254)]
    public void Never_without_the_pci_host_bridge_and_its_ranges(int cpus)
    {
        string asl = Iasl.Disassemble(OurDsdt(cpus), "dsdt");
        Assert.Matches(new Regex(@"Device \(PCI0\)\s*\{\s*Name \(_HID, EisaId \(""PNP0A03""\)"), asl);
        // Bus 0 .. 0, the config ports, I/O on both sides of them, the 32-bit MMIO window below the IOAPIC.
        Assert.Matches(new Regex(@"WordBusNumber \(ResourceProducer, MinFixed, MaxFixed, PosDecode,\s*0x0000,\s*// Granularity\s*0x0000,\s*// Range Minimum\s*0x0000,\s*// Range Maximum"), asl);
        Assert.Matches(new Regex(@"WordIO \([^)]*\)?[^W]*0x0000,\s*// Range Minimum\s*0x0CF7,\s*// Range Maximum"), asl);
        Assert.Matches(new Regex(@"0x0D00,\s*// Range Minimum\s*0xFFFF,\s*// Range Maximum"), asl);
        Assert.Matches(new Regex(@"DWordMemory \(ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite,\s*0x00000000,\s*// Granularity\s*0xC0000000,\s*// Range Minimum\s*0xFEBFFFFF,\s*// Range Maximum"), asl);
        Assert.Contains("Name (_S5, Package (0x04)", asl);
        Assert.DoesNotContain("Error", asl);
    }
}
