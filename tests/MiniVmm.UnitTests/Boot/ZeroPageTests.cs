using MiniVmm.Machine.Boot;
using MiniVmm.Memory;

namespace MiniVmm.UnitTests.Boot;

/// <summary>
/// boot_params as the kernel reads it. Offsets are literals from Documentation/arch/x86/boot.rst
/// ("Offset/Size Proto Name Meaning" table) and arch/x86/include/uapi/asm/bootparam.h, quoted.
/// </summary>
public sealed class ZeroPageTests : IDisposable
{
    private const ulong ZeroPage = 0x7000; // where the loader documents it puts boot_params
    private const int RamBytes = 64 << 20;
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private ArrayGuestMemory LoadElf(string cmdline, int initrdBytes = 5000)
    {
        var memory = new ArrayGuestMemory(RamBytes);
        string kernel = _files.Write("vmlinux", ElfImageBuilder.Typical().Build());
        string initrd = _files.Write("initrd", ElfImageBuilder.Pattern(initrdBytes, 0x44));
        KernelLoader.Load(memory, KernelLoader.Inspect(kernel), initrd, cmdline, 1);
        return memory;
    }

    private static ulong At(ulong offset) => ZeroPage + offset;

    [Fact]
    public void ElfKernel_GetsABuiltSetupHeader()
    {
        ArrayGuestMemory m = LoadElf("console=ttyS0");
        // "01FE/2 ALL boot_flag 0xAA55 magic number"
        Assert.Equal(0xAA55, m.ReadU16(new GuestAddress(At(0x1FE))));
        // "0202/4 2.00+ header Magic signature "HdrS""
        Assert.Equal("HdrS"u8.ToArray(), m.GetSpan(new GuestAddress(At(0x202)), 4).ToArray());
        // "0206/2 2.00+ version Boot protocol version supported"
        Assert.Equal(0x020F, m.ReadU16(new GuestAddress(At(0x206))));
        // "0210/1 2.00+ type_of_loader Boot loader identifier": 0xFF = undefined
        Assert.Equal(0xFF, m.GetSpan(new GuestAddress(At(0x210)), 1)[0]);
        // "0211/1 2.00+ loadflags": LOADED_HIGH (bit 0) | CAN_USE_HEAP (bit 7)
        Assert.Equal(0x81, m.GetSpan(new GuestAddress(At(0x211)), 1)[0]);
        // "0224/2 2.01+ heap_end_ptr Free memory after setup end"
        Assert.Equal(0xFE00, m.ReadU16(new GuestAddress(At(0x224))));
        // "0238/4 2.06+ cmdline_size Maximum size of the kernel command line": 2048 less the NUL
        Assert.Equal(2047u, m.ReadU32(new GuestAddress(At(0x238))));
    }

    [Fact]
    public void CommandLine_IsAtCmdLinePtr_NulTerminated()
    {
        ArrayGuestMemory m = LoadElf("console=ttyS0 probe exit=3");
        // "0228/4 2.02+ cmd_line_ptr 32-bit pointer to the kernel command line"
        uint ptr = m.ReadU32(new GuestAddress(At(0x228)));
        Assert.Equal(0x20000u, ptr);
        // "__u32 ext_cmd_line_ptr; /* 0x0c8 */"
        Assert.Equal(0u, m.ReadU32(new GuestAddress(At(0x0C8))));
        byte[] expected = "console=ttyS0 probe exit=3\0"u8.ToArray();
        Assert.Equal(expected, m.GetSpan(new GuestAddress(ptr), (ulong)expected.Length).ToArray());
    }

    [Fact]
    public void Initrd_IsPageAlignedAtTheTopOfRam()
    {
        ArrayGuestMemory m = LoadElf("", initrdBytes: 5000);
        // "0218/4 2.00+ ramdisk_image initrd load address (set by boot loader)"
        uint image = m.ReadU32(new GuestAddress(At(0x218)));
        // "021C/4 2.00+ ramdisk_size initrd size (set by boot loader)"
        uint size = m.ReadU32(new GuestAddress(At(0x21C)));
        Assert.Equal(5000u, size);
        // 64 MiB - 5000 bytes, rounded down to 4 KiB: 0x4000000 - 0x1388 = 0x3FFEC78 -> 0x3FFE000.
        Assert.Equal(0x3FFE000u, image);
        // "__u32 ext_ramdisk_image; /* 0x0c0 */" and "__u32 ext_ramdisk_size; /* 0x0c4 */"
        Assert.Equal(0u, m.ReadU32(new GuestAddress(At(0x0C0))));
        Assert.Equal(0u, m.ReadU32(new GuestAddress(At(0x0C4))));
        Assert.Equal(ElfImageBuilder.Pattern(5000, 0x44), m.GetSpan(new GuestAddress(image), 5000).ToArray());
    }

    [Fact]
    public void NoInitrd_LeavesRamdiskFieldsZero()
    {
        var memory = new ArrayGuestMemory(RamBytes);
        string kernel = _files.Write("vmlinux", ElfImageBuilder.Typical().Build());
        KernelLoader.Load(memory, KernelLoader.Inspect(kernel), null, "", 1);
        Assert.Equal(0u, memory.ReadU32(new GuestAddress(At(0x218))));
        Assert.Equal(0u, memory.ReadU32(new GuestAddress(At(0x21C))));
    }

    [Fact]
    public void E820_HasLowRamReservedAreaAndHighRam()
    {
        ArrayGuestMemory m = LoadElf("");
        // "__u8 e820_entries; /* 0x1e8 */"
        Assert.Equal(3, m.GetSpan(new GuestAddress(At(0x1E8)), 1)[0]);
        // "struct boot_e820_entry e820_table[E820_MAX_ENTRIES_ZEROPAGE]; /* 0x2d0 */",
        // each "__u64 addr; __u64 size; __u32 type;" packed: 20 bytes. Types: 1 = RAM, 2 = reserved.
        (ulong Addr, ulong Size, uint Type)[] expected =
        [
            (0x0, 0x9FC00, 1),
            (0x9FC00, 0x100000 - 0x9FC00, 2),
            (0x100000, (64UL << 20) - 0x100000, 1),
        ];
        for (int i = 0; i < expected.Length; i++)
        {
            ulong entry = At(0x2D0) + (ulong)(i * 20);
            Assert.Equal(expected[i].Addr, m.ReadU64(new GuestAddress(entry)));
            Assert.Equal(expected[i].Size, m.ReadU64(new GuestAddress(entry + 8)));
            Assert.Equal(expected[i].Type, m.ReadU32(new GuestAddress(entry + 16)));
        }
        Assert.Equal(0ul, m.ReadU64(new GuestAddress(At(0x2D0) + 3 * 20 + 8))); // no 4th entry
    }

    [Theory]
    [InlineData(3UL << 30, 0xC000_0000ul, 0ul)]            // exactly 3 GiB: nothing above 4 GiB
    [InlineData(4UL << 30, 0xC000_0000ul, 0x4000_0000ul)]  // the 4th GiB goes to 4 GiB .. 5 GiB
    [InlineData(6UL << 30, 0xC000_0000ul, 0xC000_0000ul)]  // 3 GiB below the hole, 3 GiB above 4 GiB
    [InlineData(64UL << 20, 0x400_0000ul, 0ul)]
    public void E820_PutsRamBeyond3GibAbove4Gib_NeverInThePciHole(ulong ram, ulong lowEnd, ulong highSize)
    {
        IReadOnlyList<E820Entry> map = E820Map.For(ram);
        Assert.Equal(new E820Entry(0x100000, lowEnd - 0x100000, 1), map[2]);
        if (highSize == 0) Assert.Equal(3, map.Count);
        else Assert.Equal(new E820Entry(0x1_0000_0000, highSize, 1), Assert.Single(map, e => e.Address >= 0xC000_0000));
        Assert.DoesNotContain(map, e => e.End > 0xC000_0000 && e.Address < 0x1_0000_0000);
        Assert.Equal(ram, map.Where(e => e.Type == 1).Aggregate(0UL, (sum, e) => sum + e.Size) + 0x100000 - 0x9FC00);
        Assert.Equal(lowEnd, E820Map.LowRamEnd(map)); // where the kernel and initrd must fit
    }

    [Fact]
    public void BzImage_HeaderIsCopiedFromTheImage_LoaderFieldsOverwritten()
    {
        var memory = new ArrayGuestMemory(RamBytes);
        var builder = new BzImageBuilder { CmdlineSize = 0x1234, SetupSects = 3 };
        string kernel = _files.Write("bzImage", builder.Build());
        KernelLoader.Load(memory, KernelLoader.Inspect(kernel), null, "quiet", 2);
        // "01F1/1 ALL(1) setup_sects The size of the setup in sectors" (copied as is)
        Assert.Equal(3, memory.GetSpan(new GuestAddress(At(0x1F1)), 1)[0]);
        // "0206/2 2.00+ version": the image's, not ours
        Assert.Equal(0x020F, memory.ReadU16(new GuestAddress(At(0x206))));
        // "0238/4 2.06+ cmdline_size": the image's limit
        Assert.Equal(0x1234u, memory.ReadU32(new GuestAddress(At(0x238))));
        // "0258/8 2.10+ pref_address Preferred loading address"
        Assert.Equal(0x100_0000ul, memory.ReadU64(new GuestAddress(At(0x258))));
        Assert.Equal(0xFF, memory.GetSpan(new GuestAddress(At(0x210)), 1)[0]);  // type_of_loader
        Assert.Equal(0x81, memory.GetSpan(new GuestAddress(At(0x211)), 1)[0]);  // loadflags
        Assert.Equal(0x20000u, memory.ReadU32(new GuestAddress(At(0x228))));    // cmd_line_ptr
        // "__u8 sentinel; /* 0x1ef */" must stay 0: only the header is copied, not the bytes before it.
        Assert.Equal(0, memory.GetSpan(new GuestAddress(At(0x1EF)), 1)[0]);
    }
}
