using System.Buffers.Binary;
using MiniVmm.Memory;

namespace MiniVmm.Machine.Boot;

/// <summary>
/// The smallest ACPI tables that enumerate the CPUs: RSDP -> RSDT/XSDT -> MADT (ACPI 6.x,
/// 5.2.5 RSDP, 5.2.7 RSDT, 5.2.8 XSDT, 5.2.12 MADT). Needed because Debian's kernels are built
/// without CONFIG_X86_MPPARSE and ignore MP tables: with only those, Linux logs
/// "smpboot: Boot CPU (id 0) not listed by BIOS" and "Allowing 1 CPUs".
/// There is deliberately no FADT or DSDT: Linux reads the MADT in setup_arch (acpi_boot_init),
/// then fails to load a namespace and turns ACPI off (acpi_early_init), so PCI is still found by
/// probing 0xCF8 (a DSDT without a PCI root bridge would hide the PCI bus instead).
/// </summary>
public static class AcpiTables
{
    /// <summary>In the BIOS area Linux scans for "RSD PTR " (ACPI 5.2.5.1), reserved in e820; also passed in boot_params.acpi_rsdp_addr.</summary>
    public const ulong RsdpAddress = 0xE0000;
    public const ulong RsdtAddress = RsdpAddress + 0x40;
    public const ulong XsdtAddress = RsdpAddress + 0x80;
    public const ulong MadtAddress = RsdpAddress + 0x100;

    public const int RsdpSize = 36;
    public const int HeaderSize = 36; // System Description Table Header, 5.2.6

    // MADT interrupt controller structure types and sizes (5.2.12, table 5.45 and following).
    public const byte LocalApicType = 0, IoApicType = 1, InterruptSourceOverrideType = 2, LocalApicNmiType = 4;
    public const int LocalApicLength = 8, IoApicLength = 12, InterruptSourceOverrideLength = 10, LocalApicNmiLength = 6;

    /// <summary>MPS INTI flags (table 5.50): polarity active high (01), trigger edge (01 &lt;&lt; 2).</summary>
    public const ushort EdgeActiveHigh = 0b0101;

    public static int MadtSize(int cpuCount) =>
        HeaderSize + 8 + cpuCount * LocalApicLength + IoApicLength + InterruptSourceOverrideLength + LocalApicNmiLength;

    /// <summary>Writes RSDP, RSDT, XSDT and MADT for CPUs 0..cpuCount-1 (APIC id = index), IOAPIC id = cpuCount.</summary>
    public static void Write(IGuestMemory memory, int cpuCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cpuCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cpuCount, MpTable.MaxCpuCount);
        WriteMadt(memory.GetSpan(new GuestAddress(MadtAddress), (ulong)MadtSize(cpuCount)), cpuCount);

        Span<byte> rsdt = memory.GetSpan(new GuestAddress(RsdtAddress), HeaderSize + 4);
        WriteHeader(rsdt, "RSDT"u8, revision: 1);
        BinaryPrimitives.WriteUInt32LittleEndian(rsdt[HeaderSize..], (uint)MadtAddress);
        Seal(rsdt);

        Span<byte> xsdt = memory.GetSpan(new GuestAddress(XsdtAddress), HeaderSize + 8);
        WriteHeader(xsdt, "XSDT"u8, revision: 1);
        BinaryPrimitives.WriteUInt64LittleEndian(xsdt[HeaderSize..], MadtAddress);
        Seal(xsdt);

        // RSDP, ACPI 2.0+ layout (5.2.5.3).
        Span<byte> rsdp = memory.GetSpan(new GuestAddress(RsdpAddress), RsdpSize);
        rsdp.Clear();
        "RSD PTR "u8.CopyTo(rsdp);
        "MINVMM"u8.CopyTo(rsdp[9..]);                                         // OEMID
        rsdp[15] = 2;                                                         // Revision: ACPI 2.0+
        BinaryPrimitives.WriteUInt32LittleEndian(rsdp[16..], (uint)RsdtAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(rsdp[20..], RsdpSize);       // Length
        BinaryPrimitives.WriteUInt64LittleEndian(rsdp[24..], XsdtAddress);
        rsdp[8] = Checksum(rsdp[..20]);                                       // over the ACPI 1.0 part
        rsdp[32] = Checksum(rsdp);                                            // Extended Checksum, whole table
    }

    private static void WriteMadt(Span<byte> madt, int cpuCount)
    {
        madt.Clear();
        WriteHeader(madt, "APIC"u8, revision: 4);
        BinaryPrimitives.WriteUInt32LittleEndian(madt[36..], (uint)BootLayout.LocalApicAddress); // Local Interrupt Controller Address
        BinaryPrimitives.WriteUInt32LittleEndian(madt[40..], 1); // Flags: PCAT_COMPAT, there is an 8259 pair
        int at = HeaderSize + 8;
        for (int cpu = 0; cpu < cpuCount; cpu++, at += LocalApicLength)
        {
            madt[at] = LocalApicType;
            madt[at + 1] = LocalApicLength;
            madt[at + 2] = (byte)cpu;                                      // ACPI Processor UID
            madt[at + 3] = (byte)cpu;                                      // APIC ID
            BinaryPrimitives.WriteUInt32LittleEndian(madt[(at + 4)..], 1); // Flags: Enabled
        }
        madt[at] = IoApicType;
        madt[at + 1] = IoApicLength;
        madt[at + 2] = (byte)cpuCount;                                                          // I/O APIC ID
        BinaryPrimitives.WriteUInt32LittleEndian(madt[(at + 4)..], (uint)BootLayout.IoApicAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(madt[(at + 8)..], 0);                          // Global System Interrupt Base
        at += IoApicLength;

        // ISA IRQ 0 -> GSI 0, edge, active high. It only restates the identity mapping, but without a
        // FADT Linux takes IRQ 0 for the SCI and would make it level/low unless an override names it.
        madt[at] = InterruptSourceOverrideType;
        madt[at + 1] = InterruptSourceOverrideLength;
        madt[at + 2] = 0;                                                                        // Bus: ISA
        madt[at + 3] = 0;                                                                        // Source: IRQ 0
        BinaryPrimitives.WriteUInt32LittleEndian(madt[(at + 4)..], MpTable.TimerPin);            // Global System Interrupt
        BinaryPrimitives.WriteUInt16LittleEndian(madt[(at + 8)..], EdgeActiveHigh);
        at += InterruptSourceOverrideLength;

        madt[at] = LocalApicNmiType;
        madt[at + 1] = LocalApicNmiLength;
        madt[at + 2] = 0xFF;                                                                     // all processors
        BinaryPrimitives.WriteUInt16LittleEndian(madt[(at + 3)..], 0);                           // flags: conforms to bus
        madt[at + 5] = 1;                                                                        // LINT1
        Seal(madt);
    }

    private static void WriteHeader(Span<byte> table, ReadOnlySpan<byte> signature, byte revision)
    {
        table.Clear();
        signature.CopyTo(table);
        BinaryPrimitives.WriteUInt32LittleEndian(table[4..], (uint)table.Length); // Length
        table[8] = revision;
        "MINVMM"u8.CopyTo(table[10..]);       // OEMID, 6 bytes
        "MINIVMM "u8.CopyTo(table[16..]);     // OEM Table ID, 8 bytes
        BinaryPrimitives.WriteUInt32LittleEndian(table[24..], 1);          // OEM Revision
        "MVMM"u8.CopyTo(table[28..]);         // Creator ID
        BinaryPrimitives.WriteUInt32LittleEndian(table[32..], 1);          // Creator Revision
    }

    /// <summary>Sets the header's Checksum (offset 9) so that the whole table sums to zero.</summary>
    private static void Seal(Span<byte> table)
    {
        table[9] = 0;
        table[9] = Checksum(table);
    }

    private static byte Checksum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes) sum += b;
        return (byte)-sum;
    }
}
