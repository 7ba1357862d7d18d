using System.Buffers.Binary;

namespace MiniVmm.Machine.Boot;

/// <summary>
/// An ELF64 x86-64 executable loaded the way the Linux vmlinux wants it: each PT_LOAD segment at its
/// physical address p_paddr, entered at e_entry in 64-bit mode. Debian's vmlinux has a physical
/// e_entry (0x1000000, the p_paddr of its first segment); a virtual e_entry is translated
/// through the segment that contains it.
/// </summary>
public sealed class ElfKernel
{
    // ELF64 header (System V gABI, "ELF Header"; /usr/include/elf.h Elf64_Ehdr).
    public const int HeaderSize = 64;
    public const int ProgramHeaderSize = 56; // sizeof(Elf64_Phdr)
    private const int EiClass = 4, EiData = 5;
    private const byte ElfClass32 = 1, ElfClass64 = 2, ElfData2Lsb = 1;
    private const ushort EtExec = 2, EmX86_64 = 62;
    private const uint PtLoad = 1;
    private const ushort PnXnum = 0xFFFF;

    private ElfKernel(ulong entryPoint, IReadOnlyList<ElfSegment> segments)
    {
        EntryPoint = entryPoint;
        Segments = segments;
    }

    /// <summary>Guest-physical 64-bit entry point.</summary>
    public ulong EntryPoint { get; }

    /// <summary>The PT_LOAD segments, in file order.</summary>
    public IReadOnlyList<ElfSegment> Segments { get; }

    /// <summary>Physical end (exclusive) of the highest segment: the initrd goes above it.</summary>
    public ulong End => Segments.Max(s => s.PhysicalEnd);

    public static bool HasElfMagic(ReadOnlySpan<byte> head) => head.StartsWith("\x7f"u8 + "ELF"u8);

    internal static ElfKernel Parse(BootFile file)
    {
        Span<byte> eh = stackalloc byte[HeaderSize];
        int got = file.ReadAt(0, eh);
        if (got > EiClass && eh[EiClass] == ElfClass32)
            throw file.Error("32-bit ELF (ELFCLASS32) is not supported; MiniVmm enters kernels in 64-bit mode, use a 64-bit vmlinux");
        if (got < HeaderSize) throw file.Error($"truncated ELF header ({got} of {HeaderSize} bytes)");
        if (eh[EiClass] != ElfClass64) throw file.Error($"unknown ELF class {eh[EiClass]} (want ELFCLASS64)");
        if (eh[EiData] != ElfData2Lsb) throw file.Error("big-endian ELF is not an x86-64 kernel");

        ushort type = BinaryPrimitives.ReadUInt16LittleEndian(eh[16..]);
        ushort machine = BinaryPrimitives.ReadUInt16LittleEndian(eh[18..]);
        ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(eh[24..]);
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(eh[32..]);
        ushort phentsize = BinaryPrimitives.ReadUInt16LittleEndian(eh[54..]);
        ushort phnum = BinaryPrimitives.ReadUInt16LittleEndian(eh[56..]);

        if (machine != EmX86_64) throw file.Error($"ELF for machine {machine}, not x86-64 (EM_X86_64 = 62)");
        if (type != EtExec) throw file.Error($"ELF type {type} is not an executable (ET_EXEC)");
        if (phnum == 0) throw file.Error("ELF has no program headers");
        if (phnum == PnXnum) throw file.Error("ELF has too many program headers (PN_XNUM)");
        if (phentsize != ProgramHeaderSize) throw file.Error($"ELF program header size {phentsize}, want {ProgramHeaderSize}");

        ulong tableBytes = (ulong)phnum * ProgramHeaderSize;
        if (phoff > (ulong)file.Length || tableBytes > (ulong)file.Length - phoff)
            throw file.Error($"truncated ELF program headers ({phnum} at offset {phoff}, file is {file.Length} bytes)");
        byte[] table = new byte[tableBytes];
        file.ReadExactly((long)phoff, table, "ELF program headers");

        var segments = new List<ElfSegment>();
        for (int i = 0; i < phnum; i++)
        {
            ReadOnlySpan<byte> ph = table.AsSpan(i * ProgramHeaderSize, ProgramHeaderSize);
            if (BinaryPrimitives.ReadUInt32LittleEndian(ph) != PtLoad) continue;
            var s = new ElfSegment(
                Index: i,
                FileOffset: BinaryPrimitives.ReadUInt64LittleEndian(ph[8..]),
                VirtualAddress: BinaryPrimitives.ReadUInt64LittleEndian(ph[16..]),
                PhysicalAddress: BinaryPrimitives.ReadUInt64LittleEndian(ph[24..]),
                FileSize: BinaryPrimitives.ReadUInt64LittleEndian(ph[32..]),
                MemorySize: BinaryPrimitives.ReadUInt64LittleEndian(ph[40..]));
            if (s.FileSize > s.MemorySize)
                throw file.Error($"ELF segment {i}: p_filesz {s.FileSize} is larger than p_memsz {s.MemorySize}");
            if (s.FileOffset > (ulong)file.Length || s.FileSize > (ulong)file.Length - s.FileOffset)
                throw file.Error($"truncated ELF segment {i} (needs bytes up to {s.FileOffset}+{s.FileSize}, file is {file.Length} bytes)");
            if (s.PhysicalAddress > ulong.MaxValue - s.MemorySize)
                throw file.Error($"ELF segment {i}: 0x{s.PhysicalAddress:x}+0x{s.MemorySize:x} wraps around the address space");
            segments.Add(s);
        }
        if (segments.Count == 0) throw file.Error("ELF has no loadable (PT_LOAD) segment");
        return new ElfKernel(ResolveEntry(file, entry, segments), segments);
    }

    private static ulong ResolveEntry(BootFile file, ulong entry, List<ElfSegment> segments)
    {
        foreach (ElfSegment s in segments)
            if (entry >= s.PhysicalAddress && entry - s.PhysicalAddress < s.MemorySize) return entry;
        foreach (ElfSegment s in segments)
            if (entry >= s.VirtualAddress && entry - s.VirtualAddress < s.MemorySize)
                return s.PhysicalAddress + (entry - s.VirtualAddress);
        throw file.Error($"ELF entry point 0x{entry:x} is in none of its loadable segments");
    }
}
