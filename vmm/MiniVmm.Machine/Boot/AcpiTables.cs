using System.Buffers.Binary;
using MiniVmm.Machine.Boot.Acpi;
using MiniVmm.Memory;

namespace MiniVmm.Machine.Boot;

/// <summary>
/// The ACPI tables in the BIOS area (reserved in e820): RSDP -> RSDT/XSDT -> FADT and MADT; the FADT
/// leads to the FACS and the DSDT (ACPI 6.5: 5.2.5 RSDP, 5.2.7 RSDT, 5.2.8 XSDT, 5.2.9 FADT, 5.2.10
/// FACS, 5.2.11.1 DSDT, 5.2.12 MADT).
/// <para>
/// With the FADT, Linux enables ACPI, loads the DSDT's namespace and finds through it the PCI host
/// bridge (with its bus range and windows, so the NIC stays visible), the RTC, pvpanic and \_S5, which
/// makes poweroff reach the VMM (<see cref="MiniVmm.Machine.Devices.AcpiFixedHardware"/>). Two shapes
/// are traps and never written (tests pin both): a FADT without a DSDT (Linux parses whatever the
/// FADT points at and panics), and a DSDT without the PCI host bridge and its _CRS (ACPI then owns PCI
/// enumeration and finds no bus, so the NIC disappears).
/// </para>
/// </summary>
public static class AcpiTables
{
    /// <summary>In the BIOS area Linux scans for "RSD PTR " (ACPI 5.2.5.1); also passed in boot_params.acpi_rsdp_addr.</summary>
    public const ulong RsdpAddress = 0xE0000;
    public const ulong RsdtAddress = RsdpAddress + 0x40;
    public const ulong XsdtAddress = RsdpAddress + 0x80;
    /// <summary>The FACS must be 64-byte aligned (5.2.10).</summary>
    public const ulong FacsAddress = RsdpAddress + 0xC0;
    public const ulong FadtAddress = RsdpAddress + 0x100;
    public const ulong MadtAddress = RsdpAddress + 0x240;
    public const ulong DsdtAddress = RsdpAddress + 0x1000;
    /// <summary>Everything stays below the end of the BIOS area at 1 MiB.</summary>
    public const ulong AreaEnd = 0x10_0000;

    public const int RsdpSize = 36;
    public const int FacsSize = 64;

    /// <summary>The tables the RSDT and XSDT list, in this order.</summary>
    public static readonly ulong[] RootEntries = [FadtAddress, MadtAddress];

    /// <summary>Writes every table for CPUs 0..cpuCount-1 (APIC id = index), IOAPIC id = cpuCount.</summary>
    public static void Write(IGuestMemory memory, int cpuCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cpuCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cpuCount, MpTable.MaxCpuCount);

        byte[] aml = Dsdt.DefinitionBlock();
        Span<byte> dsdt = memory.GetSpan(new GuestAddress(DsdtAddress), (ulong)(AcpiTableHeader.Size + aml.Length));
        if (DsdtAddress + (ulong)dsdt.Length > AreaEnd) throw new InvalidOperationException("the DSDT outgrew the BIOS area");
        AcpiTableHeader.Write(dsdt, "DSDT"u8, Dsdt.Revision);
        aml.CopyTo(dsdt[AcpiTableHeader.Size..]);
        AcpiTableHeader.Seal(dsdt);

        WriteFacs(memory.GetSpan(new GuestAddress(FacsAddress), FacsSize));
        Fadt.Write(memory.GetSpan(new GuestAddress(FadtAddress), Fadt.Length), FacsAddress, DsdtAddress);
        Madt.Write(memory.GetSpan(new GuestAddress(MadtAddress), (ulong)Madt.Size(cpuCount)), cpuCount);

        Span<byte> rsdt = memory.GetSpan(new GuestAddress(RsdtAddress), (ulong)(AcpiTableHeader.Size + 4 * RootEntries.Length));
        AcpiTableHeader.Write(rsdt, "RSDT"u8, revision: 1);
        for (int i = 0; i < RootEntries.Length; i++)
            BinaryPrimitives.WriteUInt32LittleEndian(rsdt[(AcpiTableHeader.Size + 4 * i)..], (uint)RootEntries[i]);
        AcpiTableHeader.Seal(rsdt);

        Span<byte> xsdt = memory.GetSpan(new GuestAddress(XsdtAddress), (ulong)(AcpiTableHeader.Size + 8 * RootEntries.Length));
        AcpiTableHeader.Write(xsdt, "XSDT"u8, revision: 1);
        for (int i = 0; i < RootEntries.Length; i++)
            BinaryPrimitives.WriteUInt64LittleEndian(xsdt[(AcpiTableHeader.Size + 8 * i)..], RootEntries[i]);
        AcpiTableHeader.Seal(xsdt);

        // RSDP, ACPI 2.0+ layout (5.2.5.3).
        Span<byte> rsdp = memory.GetSpan(new GuestAddress(RsdpAddress), RsdpSize);
        rsdp.Clear();
        "RSD PTR "u8.CopyTo(rsdp);
        "MINVMM"u8.CopyTo(rsdp[9..]);                                         // OEMID
        rsdp[15] = 2;                                                         // Revision: ACPI 2.0+
        BinaryPrimitives.WriteUInt32LittleEndian(rsdp[16..], (uint)RsdtAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(rsdp[20..], RsdpSize);       // Length
        BinaryPrimitives.WriteUInt64LittleEndian(rsdp[24..], XsdtAddress);
        rsdp[8] = AcpiTableHeader.Checksum(rsdp[..20]);                       // over the ACPI 1.0 part
        rsdp[32] = AcpiTableHeader.Checksum(rsdp);                            // Extended Checksum, whole table
    }

    /// <summary>
    /// The Firmware ACPI Control Structure (5.2.10, table 5.14): no checksum, no waking vector (nothing
    /// resumes from S3 here), the global lock free. Not hardware-reduced ACPI needs one.
    /// </summary>
    private static void WriteFacs(Span<byte> facs)
    {
        facs.Clear();
        "FACS"u8.CopyTo(facs);
        BinaryPrimitives.WriteUInt32LittleEndian(facs[4..], FacsSize); // Length
        facs[32] = 2;                                                  // Version
    }
}
