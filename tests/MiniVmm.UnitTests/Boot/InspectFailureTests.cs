using System.Buffers.Binary;
using MiniVmm.Machine.Boot;

namespace MiniVmm.UnitTests.Boot;

/// <summary>Every way a kernel or initrd file can be wrong gives one line: "kernel PATH: problem".</summary>
public sealed class InspectFailureTests : IDisposable
{
    private readonly TempFiles _files = new();

    public void Dispose() => _files.Dispose();

    private BootImageException Fails(byte[] bytes, string expectedProblem)
    {
        string path = _files.Write("kernel.img", bytes);
        var e = Assert.Throws<BootImageException>(() => KernelLoader.Inspect(path));
        Assert.StartsWith($"kernel {path}: ", e.Message);
        Assert.Contains(expectedProblem, e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    [Fact]
    public void MissingFile()
    {
        string path = _files.PathOf("nope");
        var e = Assert.Throws<BootImageException>(() => KernelLoader.Inspect(path));
        Assert.Equal($"kernel {path}: no such file", e.Message);
    }

    [Fact]
    public void MissingDirectory()
    {
        string path = _files.PathOf("no/such/dir/vmlinux");
        var e = Assert.Throws<BootImageException>(() => KernelLoader.Inspect(path));
        Assert.Equal($"kernel {path}: no such file", e.Message);
    }

    [Fact]
    public void Directory_IsNotAKernel()
    {
        var e = Assert.Throws<BootImageException>(() => KernelLoader.Inspect(_files.Root));
        Assert.Contains("is a directory", e.Message);
    }

    [Fact]
    public void EmptyFile() => Fails([], "empty file");

    [Fact]
    public void RandomBytes_AreNotAKernel()
    {
        var bytes = new byte[4096];
        new Random(1234).NextBytes(bytes);
        bytes[0] = 0; // no accidental "\x7fELF"
        Fails(bytes, "not a Linux kernel (no ELF magic, no bzImage 'HdrS' header)");
    }

    [Fact]
    public void TextFile_IsNotAKernel() => Fails("#!/bin/sh\necho hello\n"u8.ToArray(), "not a Linux kernel");

    [Fact]
    public void TruncatedElfHeader() => Fails(ElfImageBuilder.Typical().Build()[..40], "truncated ELF header (40 of 64 bytes)");

    [Fact]
    public void TruncatedProgramHeaders() => Fails(ElfImageBuilder.Typical().Build()[..100], "truncated ELF program headers");

    [Fact]
    public void TruncatedSegmentData()
    {
        byte[] full = ElfImageBuilder.Typical().Build();
        Fails(full[..(full.Length - 1)], "truncated ELF segment 1");
    }

    [Fact]
    public void Elf32_IsUnsupported()
    {
        byte[] elf = ElfImageBuilder.Typical().Build();
        elf[4] = 1; // EI_CLASS = ELFCLASS32
        Fails(elf, "32-bit ELF (ELFCLASS32) is not supported");
    }

    [Fact]
    public void BigEndianElf_IsRefused()
    {
        Fails(new ElfImageBuilder { Data = 2 }.Add(0x100000, new byte[16], 16).Build(), "big-endian");
    }

    [Fact]
    public void ElfForAnotherMachine_IsRefused()
    {
        Fails(new ElfImageBuilder { Machine = 183, Entry = 0x100000 }.Add(0x100000, new byte[16], 16).Build(), "not x86-64");
    }

    [Fact]
    public void RelocatableObject_IsRefused()
    {
        Fails(new ElfImageBuilder { Type = 1, Entry = 0x100000 }.Add(0x100000, new byte[16], 16).Build(), "not an executable");
    }

    [Fact]
    public void ElfWithoutLoadSegments_IsRefused()
    {
        var b = new ElfImageBuilder();
        b.Segments.Add(new ElfImageBuilder.Segment(0x100000, 0x100000, new byte[16], 16, Type: 4));
        Fails(b.Build(), "no loadable (PT_LOAD) segment");
    }

    [Fact]
    public void FileSizeLargerThanMemorySize_IsRefused()
    {
        Fails(new ElfImageBuilder { Entry = 0x100000 }.Add(0x100000, new byte[32], 16).Build(), "p_filesz 32 is larger than p_memsz 16");
    }

    [Fact]
    public void EntryOutsideSegments_IsRefused()
    {
        Fails(new ElfImageBuilder { Entry = 0x5000_0000 }.Add(0x100000, new byte[16], 16).Build(), "entry point 0x50000000");
    }

    [Fact]
    public void ProgramHeaderTableOffsetNearTwoTo64_IsTruncatedNotWrapped()
    {
        byte[] elf = ElfImageBuilder.Typical().Build();
        BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(32), ulong.MaxValue - 8); // e_phoff
        Fails(elf, "truncated ELF program headers");
    }

    [Fact]
    public void SegmentOffsetNearTwoTo64_IsTruncatedNotWrapped()
    {
        byte[] elf = ElfImageBuilder.Typical().Build();
        BinaryPrimitives.WriteUInt64LittleEndian(elf.AsSpan(64 + 8), ulong.MaxValue - 4); // segment 0 p_offset
        Fails(elf, "truncated ELF segment 0");
    }

    [Fact]
    public void CheckInitrd_MissingAndEmpty()
    {
        string missing = _files.PathOf("initrd.gz");
        Assert.Equal($"initrd {missing}: no such file",
            Assert.Throws<BootImageException>(() => KernelLoader.CheckInitrd(missing)).Message);
        string empty = _files.Write("empty.gz", []);
        Assert.Equal($"initrd {empty}: empty file",
            Assert.Throws<BootImageException>(() => KernelLoader.CheckInitrd(empty)).Message);
        KernelLoader.CheckInitrd(_files.Write("ok.gz", [1, 2, 3])); // and a real file passes
    }
}
