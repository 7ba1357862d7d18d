using MiniVmm.Memory;

namespace MiniVmm.Machine.Boot;

/// <summary>
/// Identity-mapped 4-level page tables for the first 4 GiB with 2 MiB pages (Intel SDM vol. 3A,
/// 4.5 "4-Level Paging"): one PML4 entry -> one PDPT whose 4 entries -> 4 page directories of 512
/// 2 MiB pages each. boot.rst's 64-bit protocol asks for the kernel, boot_params and the command
/// line to be identity mapped; mapping all 4 GiB covers them and the MMIO window too.
/// </summary>
public static class PageTables
{
    public const ulong Pml4Address = BootLayout.PageTablesAddress;          // 0x9000
    public const ulong PdptAddress = BootLayout.PageTablesAddress + 0x1000; // 0xA000
    public const ulong FirstPdAddress = BootLayout.PageTablesAddress + 0x2000; // 0xB000..0xEFFF
    public const int PdCount = 4;
    public const ulong LargePageSize = 2 << 20;

    // Entry bits (SDM 3A table 4-15/4-17): Present, Read/Write, Page Size (2 MiB leaf in a PDE).
    public const ulong Present = 1UL << 0;
    public const ulong Writable = 1UL << 1;
    public const ulong PageSize = 1UL << 7;

    /// <summary>Bytes from <see cref="Pml4Address"/> that the tables occupy.</summary>
    public const ulong TotalBytes = (2 + PdCount) * 0x1000;

    /// <summary>Writes the tables and returns the value for CR3 (the PML4's address).</summary>
    public static ulong Write(IGuestMemory memory)
    {
        memory.GetSpan(new GuestAddress(Pml4Address), TotalBytes).Clear();
        memory.WriteU64(new GuestAddress(Pml4Address), PdptAddress | Present | Writable);
        for (int pd = 0; pd < PdCount; pd++)
        {
            ulong pdAddress = FirstPdAddress + (ulong)pd * 0x1000;
            memory.WriteU64(new GuestAddress(PdptAddress + (ulong)pd * 8), pdAddress | Present | Writable);
            for (int i = 0; i < 512; i++)
            {
                ulong physical = ((ulong)pd * 512 + (ulong)i) * LargePageSize;
                memory.WriteU64(new GuestAddress(pdAddress + (ulong)i * 8), physical | Present | Writable | PageSize);
            }
        }
        return Pml4Address;
    }
}
