// TEMPORARY (helper "kvm"): a stand-in for the boot helper's loader so the machine compiles and
// boots ELF64 guests before that branch is merged. It keeps to the CONTRACTS.md signatures.
// THE LEAD DELETES THIS FILE when merging vmm/MiniVmm.Machine/Boot/** from the boot branch.
using System.Buffers.Binary;
using System.Text;
using MiniVmm.Memory;

namespace MiniVmm.Machine.Boot;

public sealed class BootImageException(string message) : Exception(message);

public sealed record CpuBootState(ulong Rip, ulong Rsi, ulong Rsp, ulong Rflags, ulong Cr0, ulong Cr3,
    ulong Cr4, ulong Efer, ulong GdtBase, ushort GdtLimit, ushort CodeSelector, ushort DataSelector);

public sealed class KernelImage(string path, byte[] bytes)
{
    public string Path { get; } = path;
    internal byte[] Bytes { get; } = bytes;
}

public static class KernelLoader
{
    private const ulong GdtAddress = 0x500, BootParams = 0x7000, Pml4 = 0x9000, Pdpt = 0xA000, Pd = 0xB000,
        CommandLineAddress = 0x20000, StackTop = 0x8FF0;

    public static KernelImage Inspect(string kernelPath)
    {
        if (!File.Exists(kernelPath)) throw new BootImageException($"kernel {kernelPath}: no such file");
        byte[] bytes = File.ReadAllBytes(kernelPath);
        if (bytes.Length < 64 || BinaryPrimitives.ReadUInt32LittleEndian(bytes) != 0x464C457F)
            throw new BootImageException($"kernel {kernelPath}: not a Linux kernel (no ELF magic, no bzImage 'HdrS' header)");
        if (bytes[4] != 2 || BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(18)) != 62)
            throw new BootImageException($"kernel {kernelPath}: not an x86-64 ELF64 image");
        return new KernelImage(kernelPath, bytes);
    }

    public static void CheckInitrd(string path)
    {
        if (!File.Exists(path)) throw new BootImageException($"initrd {path}: no such file");
    }

    public static CpuBootState Load(IGuestMemory memory, KernelImage kernel, string? initrdPath, string commandLine, int cpuCount)
    {
        byte[] b = kernel.Bytes;
        ulong entry = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(24));
        ulong phoff = BinaryPrimitives.ReadUInt64LittleEndian(b.AsSpan(32));
        int phentsize = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(54)), phnum = BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(56));
        ulong physicalEntry = entry;
        for (int i = 0; i < phnum; i++)
        {
            ulong ph = phoff + (ulong)(i * phentsize);
            if (ph + 56 > (ulong)b.Length) throw new BootImageException($"kernel {kernel.Path}: truncated program headers");
            var h = b.AsSpan((int)ph, 56);
            if (BinaryPrimitives.ReadUInt32LittleEndian(h) != 1) continue; // PT_LOAD
            ulong offset = BinaryPrimitives.ReadUInt64LittleEndian(h[8..]), vaddr = BinaryPrimitives.ReadUInt64LittleEndian(h[16..]);
            ulong paddr = BinaryPrimitives.ReadUInt64LittleEndian(h[24..]), filesz = BinaryPrimitives.ReadUInt64LittleEndian(h[32..]);
            ulong memsz = BinaryPrimitives.ReadUInt64LittleEndian(h[40..]);
            if (offset > (ulong)b.Length || filesz > (ulong)b.Length - offset || filesz > memsz)
                throw new BootImageException($"kernel {kernel.Path}: truncated segment");
            if (!memory.TryGetSpan(new GuestAddress(paddr), memsz, out Span<byte> target))
                throw new BootImageException($"kernel {kernel.Path}: segment at 0x{paddr:x} does not fit in guest RAM");
            b.AsSpan((int)offset, (int)filesz).CopyTo(target);
            target[(int)filesz..].Clear();
            if (entry >= vaddr && entry - vaddr < memsz) physicalEntry = paddr + (entry - vaddr);
        }

        Span<byte> gdt = Span(memory, GdtAddress, 32);
        BinaryPrimitives.WriteUInt64LittleEndian(gdt[16..], 0x00AF9A000000FFFF); // 0x10: 64-bit code
        BinaryPrimitives.WriteUInt64LittleEndian(gdt[24..], 0x00CF92000000FFFF); // 0x18: data

        Span<byte> tables = Span(memory, Pml4, 0x6000);
        tables.Clear();
        BinaryPrimitives.WriteUInt64LittleEndian(tables, Pdpt | 3);
        for (ulong i = 0; i < 4; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(tables[(int)(Pdpt - Pml4 + i * 8)..], (Pd + i * 0x1000) | 3);
            for (ulong j = 0; j < 512; j++)
                BinaryPrimitives.WriteUInt64LittleEndian(tables[(int)(Pd - Pml4 + i * 0x1000 + j * 8)..], ((i * 512 + j) << 21) | 0x83);
        }

        byte[] cmd = Encoding.ASCII.GetBytes(commandLine + "\0");
        cmd.CopyTo(Span(memory, CommandLineAddress, (ulong)cmd.Length));
        Span<byte> zp = Span(memory, BootParams, 4096);
        zp.Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(zp[0x1FE..], 0xAA55);
        BinaryPrimitives.WriteUInt32LittleEndian(zp[0x202..], 0x53726448); // "HdrS"
        BinaryPrimitives.WriteUInt16LittleEndian(zp[0x206..], 0x020F);
        zp[0x210] = 0xFF;
        BinaryPrimitives.WriteUInt32LittleEndian(zp[0x228..], (uint)CommandLineAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(zp[0x238..], (uint)cmd.Length);
        zp[0x1E8] = 2;
        WriteE820(zp[0x2D0..], 0, 0x9FC00);
        WriteE820(zp[0x2E4..], 0x100000, memory.SizeBytes - 0x100000);

        return new CpuBootState(physicalEntry, BootParams, StackTop, 2, 0x8000_0011, Pml4, 0x20, 0x500,
            GdtAddress, 31, 0x10, 0x18);
    }

    private static void WriteE820(Span<byte> entry, ulong address, ulong size)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(entry, address);
        BinaryPrimitives.WriteUInt64LittleEndian(entry[8..], size);
        BinaryPrimitives.WriteUInt32LittleEndian(entry[16..], 1);
    }

    private static Span<byte> Span(IGuestMemory memory, ulong address, ulong length) =>
        memory.TryGetSpan(new GuestAddress(address), length, out Span<byte> s) ? s
            : throw new BootImageException($"guest RAM too small for boot data at 0x{address:x}");
}
