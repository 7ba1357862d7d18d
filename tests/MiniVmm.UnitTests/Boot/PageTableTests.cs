using MiniVmm.Machine.Boot;
using MiniVmm.Memory;

namespace MiniVmm.UnitTests.Boot;

/// <summary>Identity map of the first 4 GiB with 2 MiB pages (Intel SDM vol. 3A, 4.5 "4-Level Paging").</summary>
public sealed class PageTableTests
{
    private readonly ArrayGuestMemory _memory = new(1 << 20);

    private ulong Entry(ulong table, int index) => _memory.ReadU64(new GuestAddress(table + (ulong)index * 8));

    [Fact]
    public void Cr3_PointsAtThePml4_At0x9000()
    {
        Assert.Equal(0x9000ul, PageTables.Write(_memory));
    }

    [Fact]
    public void Pml4_HasOneEntry_PresentWritable_ToThePdpt()
    {
        PageTables.Write(_memory);
        // PML4E: bit 0 P, bit 1 R/W, bits 51:12 the PDPT's address (0xA000).
        Assert.Equal(0xA003ul, Entry(0x9000, 0));
        for (int i = 1; i < 512; i++) Assert.Equal(0ul, Entry(0x9000, i));
    }

    [Fact]
    public void Pdpt_HasFourEntries_ToFourPageDirectories()
    {
        PageTables.Write(_memory);
        Assert.Equal(0xB003ul, Entry(0xA000, 0));
        Assert.Equal(0xC003ul, Entry(0xA000, 1));
        Assert.Equal(0xD003ul, Entry(0xA000, 2));
        Assert.Equal(0xE003ul, Entry(0xA000, 3));
        for (int i = 4; i < 512; i++) Assert.Equal(0ul, Entry(0xA000, i));
    }

    [Fact]
    public void PageDirectories_Map2MiBPages_Identity()
    {
        PageTables.Write(_memory);
        // PDE with PS (bit 7) = 1 maps a 2 MiB page: P | R/W | PS = 0x83.
        Assert.Equal(0x0000_0083ul, Entry(0xB000, 0));
        Assert.Equal(0x0020_0083ul, Entry(0xB000, 1));
        Assert.Equal(0x3FE0_0083ul, Entry(0xB000, 511));
        Assert.Equal(0x4000_0083ul, Entry(0xC000, 0));
        Assert.Equal(0xFEC0_0083ul, Entry(0xE000, 502)); // the IOAPIC page
        Assert.Equal(0xFFE0_0083ul, Entry(0xE000, 511));
    }

    [Theory]
    [InlineData(0x0000_0000ul)]
    [InlineData(0x0100_0000ul)]  // a kernel's load address
    [InlineData(0x3FFF_F123ul)]
    [InlineData(0xBFFF_FFFFul)]  // last byte of RAM at most
    [InlineData(0xFEE0_0000ul)]  // LAPIC
    public void Walk_TranslatesEveryAddressToItself(ulong address)
    {
        ulong cr3 = PageTables.Write(_memory);
        // A page walk done here by hand: PML4 index bits 47:39, PDPT 38:30, PD 29:21, offset 20:0.
        ulong pml4e = Entry(cr3, (int)((address >> 39) & 511));
        Assert.Equal(1ul, pml4e & 1);
        ulong pdpte = Entry(pml4e & 0x000F_FFFF_FFFF_F000, (int)((address >> 30) & 511));
        Assert.Equal(1ul, pdpte & 1);
        Assert.Equal(0ul, pdpte & 0x80); // not a 1 GiB page
        ulong pde = Entry(pdpte & 0x000F_FFFF_FFFF_F000, (int)((address >> 21) & 511));
        Assert.Equal(0x83ul, pde & 0x83);
        Assert.Equal(address, (pde & 0x000F_FFFF_FFE0_0000) | (address & 0x1F_FFFF));
    }
}
