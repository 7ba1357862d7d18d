namespace MiniVmm.Machine.Boot;

/// <summary>
/// Where the loader puts things in guest-physical memory. Everything the boot protocol needs
/// besides the kernel and initrd lives below 1 MiB; the e820 map keeps 0x9FC00..1 MiB reserved.
/// <code>
///   0x00500  GDT (4 entries)                     0x20000  kernel command line
///   0x07000  boot_params, the "zero page"        0x9FC00  MP floating pointer + configuration table
///   0x08FF0  initial stack (grows down)          0xE0000  ACPI RSDP, RSDT, XSDT, FACS, FADT, MADT, DSDT
///   0x09000  page tables: PML4, PDPT, 4 PDs      1 MiB+   kernel (ELF p_paddr, bzImage pref_address)
///                                                top      initrd, page aligned, below initrd_addr_max
///   3 GiB .. 4 GiB  PCI MMIO window, IOAPIC, LAPIC   4 GiB+   RAM beyond the first 3 GiB
/// </code>
/// </summary>
public static class BootLayout
{
    public const ulong GdtAddress = 0x500;

    /// <summary>boot_params (struct boot_params, arch/x86/include/uapi/asm/bootparam.h), one 4 KiB page.</summary>
    public const ulong ZeroPageAddress = 0x7000;

    public const ulong ZeroPageSize = 0x1000;

    /// <summary>Top of the boot stack: the 4 KiB between the zero page and the page tables. 16-byte aligned.</summary>
    public const ulong StackPointer = 0x8FF0;

    public const ulong PageTablesAddress = 0x9000;

    public const ulong CommandLineAddress = 0x20000;

    /// <summary>Room for the command line, terminating NUL included (the kernel's own limit is usually smaller).</summary>
    public const ulong CommandLineAreaSize = 0x10000;

    /// <summary>Start of the area e820 reports reserved (EBDA and BIOS in a PC); the MP and ACPI tables live here.</summary>
    public const ulong ReservedLowStart = 0x9FC00;

    /// <summary>Where the kernel proper may start: everything below is the loader's.</summary>
    public const ulong HighMemoryStart = 0x10_0000;

    /// <summary>RAM ends here at the latest: the PCI MMIO window follows (0xC000_0000..0xFEBF_FFFF).</summary>
    public const ulong RamLimit = 0xC000_0000;

    /// <summary>RAM beyond <see cref="RamLimit"/> continues here, above the PCI window and the APICs (boot.rst: e820 says where).</summary>
    public const ulong HighRamStart = 1UL << 32;

    /// <summary>The 32-bit PCI memory window (the DSDT's _CRS for the host bridge): from the end of low RAM to below the IOAPIC.</summary>
    public const uint PciMmioWindowStart = 0xC000_0000, PciMmioWindowEnd = 0xFEBF_FFFF;

    public const ulong IoApicAddress = 0xFEC0_0000;

    public const ulong LocalApicAddress = 0xFEE0_0000;

    public const ulong PageSize = 0x1000;
}
