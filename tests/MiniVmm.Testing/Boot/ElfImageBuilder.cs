using System.Buffers.Binary;

namespace MiniVmm.Testing;

/// <summary>
/// Writes small ELF64 files by hand, field by field from the System V gABI (Elf64_Ehdr, Elf64_Phdr),
/// so the loader is tested against bytes it did not produce.
/// </summary>
public sealed class ElfImageBuilder
{
    public sealed record Segment(ulong PhysicalAddress, ulong VirtualAddress, byte[] Data, ulong MemorySize, uint Type = 1);

    public List<Segment> Segments { get; } = [];
    public ulong Entry { get; set; }
    public byte ElfClass { get; set; } = 2;   // ELFCLASS64
    public byte Data { get; set; } = 1;       // ELFDATA2LSB
    public ushort Type { get; set; } = 2;     // ET_EXEC
    public ushort Machine { get; set; } = 62; // EM_X86_64

    public ElfImageBuilder Add(ulong paddr, byte[] data, ulong memsz, ulong? vaddr = null)
    {
        Segments.Add(new Segment(paddr, vaddr ?? paddr, data, memsz));
        return this;
    }

    public byte[] Build()
    {
        const int ehsize = 64, phentsize = 56;
        int dataStart = ehsize + phentsize * Segments.Count;
        int total = dataStart + Segments.Sum(s => s.Data.Length);
        var f = new byte[total];
        f[0] = 0x7F; f[1] = (byte)'E'; f[2] = (byte)'L'; f[3] = (byte)'F';
        f[4] = ElfClass; f[5] = Data; f[6] = 1; // EI_VERSION
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(16), Type);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(18), Machine);
        BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(20), 1);        // e_version
        BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(24), Entry);    // e_entry
        BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(32), ehsize);   // e_phoff
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(52), ehsize);   // e_ehsize
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(54), phentsize);
        BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(56), (ushort)Segments.Count);
        int data = dataStart;
        for (int i = 0; i < Segments.Count; i++)
        {
            Segment s = Segments[i];
            Span<byte> ph = f.AsSpan(ehsize + i * phentsize, phentsize);
            BinaryPrimitives.WriteUInt32LittleEndian(ph, s.Type);           // p_type
            BinaryPrimitives.WriteUInt32LittleEndian(ph[4..], 7);          // p_flags RWX
            BinaryPrimitives.WriteUInt64LittleEndian(ph[8..], (ulong)data); // p_offset
            BinaryPrimitives.WriteUInt64LittleEndian(ph[16..], s.VirtualAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[24..], s.PhysicalAddress);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[32..], (ulong)s.Data.Length);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[40..], s.MemorySize);
            BinaryPrimitives.WriteUInt64LittleEndian(ph[48..], 0x1000);
            s.Data.CopyTo(f, data);
            data += s.Data.Length;
        }
        return f;
    }

    /// <summary>A typical small kernel: code at 16 MiB entered at its start, data + bss at 16 MiB + 1 MiB.</summary>
    public static ElfImageBuilder Typical() => new ElfImageBuilder { Entry = 0x100_0000 }
        .Add(0x100_0000, Pattern(0x3000, 0x11), 0x3000)
        .Add(0x110_0000, Pattern(0x1800, 0x22), 0x4000);

    public static byte[] Pattern(int length, byte seed)
    {
        var b = new byte[length];
        for (int i = 0; i < length; i++) b[i] = (byte)(seed + i * 7);
        return b;
    }
}
