using MiniVmm.Machine.Boot;
using MiniVmm.Memory;

namespace MiniVmm.UnitTests.Boot;

/// <summary>ELF64 loading by p_paddr (System V gABI: "the bytes from the file are mapped to the
/// beginning of the memory segment ... the extra bytes [p_memsz - p_filesz] are defined to hold the value 0").</summary>
public sealed class ElfLoadingTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Inspect_ReportsFormatSegmentsAndEntry()
    {
        KernelImage k = KernelLoader.Inspect(_files.Write("k", ElfImageBuilder.Typical().Build()));
        Assert.Equal(KernelFormat.Elf, k.Format);
        Assert.Equal(0x100_0000ul, k.EntryPoint);
        Assert.Equal(2, k.Elf!.Segments.Count);
        Assert.Equal(0x110_4000ul, k.End);
    }

    [Fact]
    public void Load_CopiesSegmentsToPhysicalAddresses_AndZeroesBss()
    {
        var memory = new ArrayGuestMemory(32 << 20);
        memory.GetSpan(new GuestAddress(0x100_0000), 0x20_0000).Fill(0xCC); // stale bytes the bss must clear
        KernelImage k = KernelLoader.Inspect(_files.Write("k", ElfImageBuilder.Typical().Build()));
        CpuBootState s = KernelLoader.Load(memory, k, null, "", 1);

        Assert.Equal(0x100_0000ul, s.Rip);
        Assert.Equal(ElfImageBuilder.Pattern(0x3000, 0x11), memory.GetSpan(new GuestAddress(0x100_0000), 0x3000).ToArray());
        Assert.Equal(ElfImageBuilder.Pattern(0x1800, 0x22), memory.GetSpan(new GuestAddress(0x110_0000), 0x1800).ToArray());
        // p_memsz 0x4000 - p_filesz 0x1800: 0x2800 bytes of bss, all zero.
        Assert.All(memory.GetSpan(new GuestAddress(0x110_1800), 0x2800).ToArray(), b => Assert.Equal(0, b));
        // The byte after the segment is untouched.
        Assert.Equal(0xCC, memory.GetSpan(new GuestAddress(0x110_4000), 1)[0]);
    }

    [Fact]
    public void VirtualEntry_IsTranslatedThroughItsSegment()
    {
        var b = new ElfImageBuilder { Entry = 0xFFFF_FFFF_8100_0040 }
            .Add(0x100_0000, ElfImageBuilder.Pattern(0x100, 1), 0x100, vaddr: 0xFFFF_FFFF_8100_0000);
        KernelImage k = KernelLoader.Inspect(_files.Write("k", b.Build()));
        Assert.Equal(0x100_0040ul, k.EntryPoint);
    }

    [Fact]
    public void NonLoadSegmentsAreIgnored()
    {
        var b = ElfImageBuilder.Typical();
        b.Segments.Add(new ElfImageBuilder.Segment(0, 0, new byte[16], 16, Type: 4)); // PT_NOTE at address 0
        KernelImage k = KernelLoader.Inspect(_files.Write("k", b.Build()));
        Assert.Equal(2, k.Elf!.Segments.Count);
    }

    [Fact]
    public void SegmentBeyondRam_FailsBeforeWritingAnything()
    {
        var memory = new ArrayGuestMemory(20 << 20);
        // Segment 0 fits; segment 1 ends one page past the end of the 20 MiB of RAM.
        var b = new ElfImageBuilder { Entry = 0x100_0000 }
            .Add(0x100_0000, ElfImageBuilder.Pattern(0x3000, 0x11), 0x3000)
            .Add(0x13F_F000, ElfImageBuilder.Pattern(0x1000, 0x22), 0x2000); // ends 1 page past 20 MiB
        KernelImage k = KernelLoader.Inspect(_files.Write("k", b.Build()));
        var e = Assert.Throws<BootImageException>(() => KernelLoader.Load(memory, k, null, "", 1));
        Assert.Contains("segment 1", e.Message);
        Assert.Contains("does not fit in guest RAM", e.Message);
        Assert.StartsWith("kernel " + k.Path + ": ", e.Message);
        Assert.All(memory.GetSpan(new GuestAddress(0x100_0000), 0x3000).ToArray(), x => Assert.Equal(0, x));
    }

    [Fact]
    public void SegmentBelowOneMiB_IsRefused()
    {
        var b = new ElfImageBuilder { Entry = 0x8000 }.Add(0x8000, new byte[0x100], 0x100);
        KernelImage k = KernelLoader.Inspect(_files.Write("k", b.Build()));
        var e = Assert.Throws<BootImageException>(() => KernelLoader.Load(new ArrayGuestMemory(8 << 20), k, null, "", 1));
        Assert.Contains("below 1 MiB", e.Message);
    }

    [Fact]
    public void SegmentWrappingTheAddressSpace_IsRefusedByInspect()
    {
        var b = new ElfImageBuilder { Entry = 0xFFFF_FFFF_FFFF_F000 }.Add(0xFFFF_FFFF_FFFF_F000, new byte[0x10], 0x2000);
        var e = Assert.Throws<BootImageException>(() => KernelLoader.Inspect(_files.Write("k", b.Build())));
        Assert.Contains("wraps", e.Message);
    }

    [Fact]
    public void HugeMemsz_NearTopOfRam_DoesNotWrapTheCheck()
    {
        // p_paddr + p_memsz overflows 64 bits only if added naively; 2 MiB + (2^64 - 4 MiB) does not wrap but is huge.
        var b = new ElfImageBuilder { Entry = 0x20_0000 }.Add(0x20_0000, new byte[0x10], ulong.MaxValue - (4 << 20));
        KernelImage k = KernelLoader.Inspect(_files.Write("k", b.Build()));
        var e = Assert.Throws<BootImageException>(() => KernelLoader.Load(new ArrayGuestMemory(8 << 20), k, null, "", 1));
        Assert.Contains("does not fit", e.Message);
    }

    [Fact]
    public void InitrdTooBigForRam_IsRefused()
    {
        var memory = new ArrayGuestMemory(18 << 20); // kernel ends at 17 MiB + 16 KiB
        KernelImage k = KernelLoader.Inspect(_files.Write("k", ElfImageBuilder.Typical().Build()));
        string initrd = _files.Write("initrd", new byte[1 << 20]);
        var e = Assert.Throws<BootImageException>(() => KernelLoader.Load(memory, k, initrd, "", 1));
        Assert.StartsWith("initrd " + initrd + ": ", e.Message);
        Assert.Contains("does not fit", e.Message);
    }

    [Fact]
    public void CommandLineLongerThanTheKernelTakes_IsRefused()
    {
        KernelImage k = KernelLoader.Inspect(_files.Write("k", ElfImageBuilder.Typical().Build()));
        var memory = new ArrayGuestMemory(32 << 20);
        KernelLoader.Load(memory, k, null, new string('a', 2047), 1); // COMMAND_LINE_SIZE 2048 with the NUL
        var e = Assert.Throws<BootImageException>(() => KernelLoader.Load(memory, k, null, new string('a', 2048), 1));
        Assert.Contains("2048 bytes", e.Message);
    }

    [Fact]
    public void CheckCommandLine_ValidatesWithoutMemory()
    {
        KernelImage k = KernelLoader.Inspect(_files.Write("k", ElfImageBuilder.Typical().Build()));
        KernelLoader.CheckCommandLine(k, "console=ttyS0");
        var e = Assert.Throws<BootImageException>(() => KernelLoader.CheckCommandLine(k, new string('a', 3000)));
        Assert.Equal($"command line for {k.Path}: is 3000 bytes, the kernel takes at most 2047", e.Message);
    }

    [Fact]
    public void CommandLineWithNul_IsRefused()
    {
        KernelImage k = KernelLoader.Inspect(_files.Write("k", ElfImageBuilder.Typical().Build()));
        Assert.Throws<BootImageException>(() => KernelLoader.Load(new ArrayGuestMemory(32 << 20), k, null, "a\0b", 1));
    }
}
