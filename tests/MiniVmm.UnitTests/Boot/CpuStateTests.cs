using MiniVmm.Machine.Boot;
using MiniVmm.Memory;

namespace MiniVmm.UnitTests.Boot;

/// <summary>
/// The GDT and registers at the 64-bit entry. boot.rst, "64-bit Boot Protocol": "a GDT must be loaded
/// with the descriptors for selectors __BOOT_CS(0x10) and __BOOT_DS(0x18); both descriptors must be
/// 4G flat segment; __BOOT_CS must have execute/read permission, and __BOOT_DS must have read/write
/// permission; CS must be __BOOT_CS and DS, ES, SS must be __BOOT_DS; interrupt must be disabled;
/// %rsi must hold the base address of the struct boot_params."
/// </summary>
public sealed class CpuStateTests : IDisposable
{
    private readonly TempFiles _files = new();
    private readonly ArrayGuestMemory _memory = new(32 << 20);

    public void Dispose() => _files.Dispose();

    private CpuBootState Load() =>
        KernelLoader.Load(_memory, KernelLoader.Inspect(_files.Write("k", ElfImageBuilder.Typical().Build())), null, "", 1);

    [Fact]
    public void Gdt_At0x500_NullNullCodeData()
    {
        Load();
        Assert.Equal(0ul, _memory.ReadU64(new GuestAddress(0x500)));
        Assert.Equal(0ul, _memory.ReadU64(new GuestAddress(0x508)));
        Assert.Equal(0x00AF_9B00_0000_FFFFul, _memory.ReadU64(new GuestAddress(0x510)));
        Assert.Equal(0x00CF_9300_0000_FFFFul, _memory.ReadU64(new GuestAddress(0x518)));
    }

    [Fact]
    public void CodeDescriptor_Is64BitFlatExecuteRead()
    {
        Load();
        ulong d = _memory.ReadU64(new GuestAddress(0x510));
        // SDM 3A 3.4.5: bit 47 P, bits 46:45 DPL, bit 44 S, bits 43:40 type, bit 53 L, bit 54 D/B, bit 55 G.
        Assert.Equal(1ul, (d >> 47) & 1);
        Assert.Equal(0ul, (d >> 45) & 3);
        Assert.Equal(1ul, (d >> 44) & 1);
        Assert.Equal(0b1011ul, (d >> 40) & 0xF); // code, execute/read, accessed
        Assert.Equal(1ul, (d >> 53) & 1);        // L: 64-bit code
        Assert.Equal(0ul, (d >> 54) & 1);        // D must be 0 when L is 1
        Assert.Equal(1ul, (d >> 55) & 1);        // G: 4 KiB granularity
        Assert.Equal(0xFFFFFul, (d & 0xFFFF) | ((d >> 32) & 0xF0000)); // limit 0xFFFFF
    }

    [Fact]
    public void DataDescriptor_IsFlatReadWrite()
    {
        Load();
        ulong d = _memory.ReadU64(new GuestAddress(0x518));
        Assert.Equal(1ul, (d >> 47) & 1);
        Assert.Equal(0b0011ul, (d >> 40) & 0xF); // data, read/write, accessed
        Assert.Equal(1ul, (d >> 54) & 1);        // B: 32-bit stack
        Assert.Equal(1ul, (d >> 55) & 1);
    }

    [Fact]
    public void Registers_AreLongModeWithPaging()
    {
        CpuBootState s = Load();
        Assert.Equal(0x100_0000ul, s.Rip);
        Assert.Equal(0x7000ul, s.Rsi);      // boot_params
        Assert.Equal(0x9000ul, s.Cr3);
        Assert.Equal(0x2ul, s.Rflags);      // IF clear
        Assert.Equal(1ul, s.Cr0 & 1);       // CR0.PE
        Assert.Equal(1ul, s.Cr0 >> 31);     // CR0.PG
        Assert.Equal(0x20ul, s.Cr4 & 0x20); // CR4.PAE
        Assert.Equal(0x500ul, s.Efer);      // EFER.LME (bit 8) | EFER.LMA (bit 10)
        Assert.Equal(0x500ul, s.GdtBase);
        Assert.Equal((ushort)31, s.GdtLimit);
        Assert.Equal((ushort)0x10, s.CodeSelector);
        Assert.Equal((ushort)0x18, s.DataSelector);
        Assert.InRange(s.Rsp, 0x8001ul, 0x9000ul); // inside the free page between zero page and page tables
        Assert.Equal(0ul, s.Rsp % 16);
    }
}
