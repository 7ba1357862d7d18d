using System.Text;
using MiniVmm.Machine.Boot;
using MiniVmm.Memory;

namespace MiniVmm.UnitTests.Boot;

/// <summary>
/// ACPI 6.5 tables: the CPUs for kernels without MP-table support (Debian's), the FADT and its DSDT.
/// Checked against the spec: 5.2.5.3 RSDP ("Checksum: This is the checksum of the fields defined in the ACPI 1.0
/// specification ... the first 20 bytes"; "Extended Checksum: This is a checksum of the entire table"),
/// 5.2.6 header ("the entire table, including the checksum field, must add to zero"), 5.2.12 MADT.
/// </summary>
public sealed class AcpiTablesTests
{
    private readonly ArrayGuestMemory _memory = new(1 << 20);

    private int U8(ulong a) => _memory.GetSpan(new GuestAddress(a), 1)[0];
    private uint U32(ulong a) => _memory.ReadU32(new GuestAddress(a));
    private string Text(ulong a, int n) => Encoding.ASCII.GetString(_memory.GetSpan(new GuestAddress(a), (ulong)n));

    private int Sum(ulong a, int n)
    {
        int sum = 0;
        foreach (byte b in _memory.GetSpan(new GuestAddress(a), (ulong)n)) sum += b;
        return sum & 0xFF;
    }

    [Fact]
    public void Rsdp_IsFoundByTheBiosAreaScan_WithBothChecksums()
    {
        AcpiTables.Write(_memory, 2);
        // 5.2.5.1: "The BIOS read-only memory space between 0E0000h and 0FFFFFh", on a 16-byte boundary.
        ulong? rsdp = null;
        for (ulong a = 0xE0000; a < 0x100000 && rsdp is null; a += 16)
            if (Text(a, 8) == "RSD PTR ") rsdp = a;
        Assert.NotNull(rsdp);
        Assert.Equal(0, Sum(rsdp.Value, 20));
        Assert.Equal(2, U8(rsdp.Value + 15));    // Revision
        Assert.Equal(36u, U32(rsdp.Value + 20)); // Length
        Assert.Equal(0, Sum(rsdp.Value, 36));
    }

    [Fact]
    public void RsdtAndXsdt_ListTheFadtAndTheMadt()
    {
        AcpiTables.Write(_memory, 2);
        uint rsdt = U32(0xE0000 + 16);
        ulong xsdt = _memory.ReadU64(new GuestAddress(0xE0000 + 24));
        Assert.Equal("RSDT", Text(rsdt, 4));
        Assert.Equal(44u, U32(rsdt + 4)); // header + two 32-bit entries
        Assert.Equal(0, Sum(rsdt, 44));
        Assert.Equal("XSDT", Text(xsdt, 4));
        Assert.Equal(52u, U32(xsdt + 4)); // header + two 64-bit entries
        Assert.Equal(0, Sum(xsdt, 52));
        string[] rsdtTables = [Text(U32(rsdt + 36), 4), Text(U32(rsdt + 40), 4)];
        string[] xsdtTables = [Text(_memory.ReadU64(new GuestAddress(xsdt + 36)), 4), Text(_memory.ReadU64(new GuestAddress(xsdt + 44)), 4)];
        Assert.Equal(["FACP", "APIC"], rsdtTables);
        Assert.Equal(rsdtTables, xsdtTables);
    }

    private ulong Madt() => _memory.ReadU64(new GuestAddress(_memory.ReadU64(new GuestAddress(0xE0000 + 24)) + 44));

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(254)]
    public void Madt_ListsEveryCpu_TheIoApic_AndTheOverrides(int cpus)
    {
        AcpiTables.Write(_memory, cpus);
        ulong madt = Madt();
        Assert.Equal("APIC", Text(madt, 4));
        uint length = U32(madt + 4);
        // Header 36 + Local Interrupt Controller Address 4 + Flags 4; Processor Local APIC 8 bytes each;
        // I/O APIC 12; two Interrupt Source Overrides of 10; Local APIC NMI 6.
        Assert.Equal((uint)(44 + 8 * cpus + 12 + 2 * 10 + 6), length);
        Assert.Equal(0, Sum(madt, (int)length));
        Assert.Equal(0xFEE00000u, U32(madt + 36));
        Assert.Equal(1u, U32(madt + 40) & 1); // PCAT_COMPAT

        ulong e = madt + 44;
        for (int cpu = 0; cpu < cpus; cpu++, e += 8)
        {
            Assert.Equal((0, 8), (U8(e), U8(e + 1)));     // Type 0 Processor Local APIC, Length 8
            Assert.Equal(cpu, U8(e + 2));                 // ACPI Processor UID
            Assert.Equal(cpu, U8(e + 3));                 // APIC ID
            Assert.Equal(1u, U32(e + 4));                 // Flags: Enabled
        }
        Assert.Equal((1, 12), (U8(e), U8(e + 1)));         // Type 1 I/O APIC
        Assert.Equal(cpus, U8(e + 2));                     // I/O APIC ID
        Assert.Equal(0xFEC00000u, U32(e + 4));
        Assert.Equal(0u, U32(e + 8));                      // GSI base
        e += 12;
        Assert.Equal((2, 10), (U8(e), U8(e + 1)));         // Type 2 Interrupt Source Override
        Assert.Equal((0, 0), (U8(e + 2), U8(e + 3)));      // ISA bus, IRQ 0
        Assert.Equal(0u, U32(e + 4));                      // -> GSI 0 (KVM's default routing)
        Assert.Equal(0b0101, _memory.ReadU16(new GuestAddress(e + 8))); // edge, active high
        e += 10;
        Assert.Equal((2, 10), (U8(e), U8(e + 1)));         // the SCI's override
        Assert.Equal((0, 9), (U8(e + 2), U8(e + 3)));      // ISA bus, IRQ 9
        Assert.Equal(9u, U32(e + 4));                      // -> GSI 9
        Assert.Equal(0b1101, _memory.ReadU16(new GuestAddress(e + 8))); // level, active high
        e += 10;
        Assert.Equal((4, 6), (U8(e), U8(e + 1)));          // Type 4 Local APIC NMI
        Assert.Equal(0xFF, U8(e + 2));                     // all processors
        Assert.Equal(1, U8(e + 5));                        // LINT1
    }

    [Fact]
    public void ZeroPage_CarriesTheRsdpAddress()
    {
        using var files = new TempFiles();
        var memory = new ArrayGuestMemory(32 << 20);
        KernelLoader.Load(memory, KernelLoader.Inspect(files.Write("k", ElfImageBuilder.Typical().Build())), null, "", 2);
        // "__u64 acpi_rsdp_addr; /* 0x070 */"
        Assert.Equal(0xE0000ul, memory.ReadU64(new GuestAddress(0x7000 + 0x070)));
        Assert.Equal("RSD PTR ", Encoding.ASCII.GetString(memory.GetSpan(new GuestAddress(0xE0000), 8)));
    }
}
