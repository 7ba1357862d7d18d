using System.Text;
using MiniVmm.Memory;

namespace MiniVmm.Machine.Boot;

/// <summary>
/// The Linux x86-64 boot protocol, 64-bit entry (Documentation/arch/x86/boot.rst): loads an ELF
/// vmlinux or a bzImage, the initrd and command line, writes boot_params, GDT, page tables, MP
/// and ACPI tables (addresses in <see cref="BootLayout"/>), and returns the boot CPU's registers.
/// </summary>
public static class KernelLoader
{
    /// <summary>For an ELF vmlinux, which has no header to say so: x86's COMMAND_LINE_SIZE, 2048, less the NUL.</summary>
    public const uint ElfCommandLineMax = 2047;

    /// <summary>initrd_addr_max for kernels that do not say (boot.rst: "assume 0x37FFFFFF" before 2.03).</summary>
    public const uint DefaultInitrdAddrMax = 0x7FFF_FFFF;

    // CR0.PE | CR0.ET | CR0.NE | CR0.PG; CR4.PAE; EFER.LME | EFER.LMA (SDM 3A 2.5, 2.2.1).
    public const ulong Cr0 = 0x8000_0031;
    public const ulong Cr4 = 0x20;
    public const ulong Efer = 0x500;
    /// <summary>Only the always-one bit 1: interrupts off, as the protocol requires.</summary>
    public const ulong Rflags = 0x2;

    private const int HeadBytes = SetupHeader.RegionEnd;

    /// <summary>Recognises and checks a kernel file without loading it. Throws <see cref="BootImageException"/>.</summary>
    public static KernelImage Inspect(string kernelPath)
    {
        using BootFile file = BootFile.Open("kernel", kernelPath);
        if (file.Length == 0) throw file.Error("empty file");
        byte[] head = new byte[Math.Min(HeadBytes, file.Length)];
        file.ReadExactly(0, head, "file");
        if (ElfKernel.HasElfMagic(head)) return new KernelImage(kernelPath, ElfKernel.Parse(file));
        if (SetupHeader.HasMagic(head)) return new KernelImage(kernelPath, BzImageKernel.Parse(file, head));
        throw file.Error("not a Linux kernel (no ELF magic, no bzImage 'HdrS' header)");
    }

    /// <summary>Checks an initrd can be opened and is not empty. Throws <see cref="BootImageException"/>.</summary>
    public static void CheckInitrd(string path)
    {
        using BootFile file = BootFile.Open("initrd", path);
        if (file.Length == 0) throw file.Error("empty file");
    }

    /// <summary>
    /// Checks the command line fits the kernel (its cmdline_size, or 2047 bytes for an ELF) and has
    /// no NUL. Cheap, for validating input before a VM exists; <see cref="Load"/> checks it too.
    /// </summary>
    public static void CheckCommandLine(KernelImage kernel, string commandLine) =>
        EncodeCommandLine(kernel, commandLine);

    /// <summary>
    /// Loads everything the kernel needs into guest RAM (laid out as <see cref="E820Map.For"/> says: below
    /// 3 GiB, and from 4 GiB up for the rest) for
    /// <paramref name="cpuCount"/> CPUs and returns the boot CPU's state at the 64-bit entry.
    /// Throws <see cref="BootImageException"/> for files, command lines or RAM sizes that do not fit.
    /// </summary>
    public static CpuBootState Load(IGuestMemory memory, KernelImage kernel, string? initrdPath, string commandLine, int cpuCount)
    {
        ArgumentNullException.ThrowIfNull(memory);
        ArgumentNullException.ThrowIfNull(kernel);
        ArgumentNullException.ThrowIfNull(commandLine);
        ArgumentOutOfRangeException.ThrowIfLessThan(cpuCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cpuCount, MpTable.MaxCpuCount);
        byte[] cmdline = EncodeCommandLine(kernel, commandLine);

        IReadOnlyList<E820Entry> e820 = E820Map.For(memory.SizeBytes);
        ulong ramEnd = E820Map.LowRamEnd(e820);
        if (ramEnd <= BootLayout.HighMemoryStart)
            throw new BootImageException("kernel", kernel.Path, $"guest RAM of {memory.SizeBytes} bytes has nothing above 1 MiB to load it to");

        using (BootFile file = BootFile.Open("kernel", kernel.Path))
        {
            if (kernel.Elf is { } elf) LoadElf(memory, file, elf, ramEnd);
            else LoadBzImage(memory, file, kernel.BzImage!, ramEnd);
        }

        uint initrdAddrMax = kernel.BzImage?.Header is { } hdr && hdr.InitrdAddrMax != 0 ? hdr.InitrdAddrMax : DefaultInitrdAddrMax;
        (ulong initrdAddress, ulong initrdSize) = initrdPath is null
            ? (0UL, 0UL)
            : LoadInitrd(memory, initrdPath, kernel.End, Math.Min(ramEnd, (ulong)initrdAddrMax + 1));

        Span<byte> cmdlineArea = memory.GetSpan(new GuestAddress(BootLayout.CommandLineAddress), (ulong)cmdline.Length);
        cmdline.CopyTo(cmdlineArea);

        // boot_params, the "zero page", at 0x7000 (BootLayout.ZeroPageAddress).
        Span<byte> zeroPage = memory.GetSpan(new GuestAddress(BootLayout.ZeroPageAddress), BootLayout.ZeroPageSize);
        zeroPage.Clear();
        if (kernel.BzImage is { } bz) BootParams.WriteImageHeader(zeroPage, bz.Header);
        else BootParams.WriteBuiltHeader(zeroPage, ElfCommandLineMax);
        BootParams.WriteLoaderFields(zeroPage, BootLayout.CommandLineAddress, initrdAddress, initrdSize);
        BootParams.WriteE820(zeroPage, e820);
        BootParams.WriteAcpiRsdpAddr(zeroPage, AcpiTables.RsdpAddress);

        Gdt.Write(memory);
        ulong cr3 = PageTables.Write(memory);
        // Both: MP tables for kernels built with CONFIG_X86_MPPARSE, ACPI for the rest (Debian's).
        MpTable.Write(memory, cpuCount);
        AcpiTables.Write(memory, cpuCount);

        return new CpuBootState(
            Rip: kernel.EntryPoint,
            Rsi: BootLayout.ZeroPageAddress,
            Rsp: BootLayout.StackPointer,
            Rflags: Rflags,
            Cr0: Cr0,
            Cr3: cr3,
            Cr4: Cr4,
            Efer: Efer,
            GdtBase: Gdt.Address,
            GdtLimit: Gdt.Limit,
            CodeSelector: Gdt.CodeSelector,
            DataSelector: Gdt.DataSelector);
    }

    private static void LoadElf(IGuestMemory memory, BootFile file, ElfKernel elf, ulong ramEnd)
    {
        // Check every segment before writing any, so a bad image leaves RAM untouched.
        foreach (ElfSegment s in elf.Segments)
            CheckFits(file, s.ToString(), s.PhysicalAddress, s.MemorySize, ramEnd);
        foreach (ElfSegment s in elf.Segments)
        {
            var at = new GuestAddress(s.PhysicalAddress);
            file.CopyTo(memory, at, (long)s.FileOffset, s.FileSize, $"ELF segment {s.Index}");
            ZeroRange(memory, at + s.FileSize, s.MemorySize - s.FileSize); // the bss
        }
    }

    private static void LoadBzImage(IGuestMemory memory, BootFile file, BzImageKernel bz, ulong ramEnd)
    {
        CheckFits(file, "bzImage kernel (init_size)", bz.LoadAddress, bz.MemoryNeeded, ramEnd);
        file.CopyTo(memory, new GuestAddress(bz.LoadAddress), bz.KernelOffset, bz.KernelSize, "bzImage protected-mode kernel");
    }

    /// <summary>[address, address + size) must lie in RAM above 1 MiB; written so nothing can wrap.</summary>
    private static void CheckFits(BootFile file, string what, ulong address, ulong size, ulong ramEnd)
    {
        if (address < BootLayout.HighMemoryStart)
            throw file.Error($"{what} starts below 1 MiB, where the boot structures live");
        if (size > ramEnd || address > ramEnd - size)
            throw file.Error($"{what} does not fit in guest RAM ({ramEnd >> 20} MiB usable; needs up to 0x{address:x}+0x{size:x})");
    }

    /// <summary>
    /// Places the initrd as high as it may go (boot.rst: below initrd_addr_max; page aligned),
    /// above the kernel. Returns its address and size.
    /// </summary>
    private static (ulong Address, ulong Size) LoadInitrd(IGuestMemory memory, string path, ulong kernelEnd, ulong limit)
    {
        using BootFile file = BootFile.Open("initrd", path);
        if (file.Length == 0) throw file.Error("empty file");
        ulong size = (ulong)file.Length;
        ulong floor = AlignUp(kernelEnd, BootLayout.PageSize);
        if (size > limit || floor > limit || ((limit - size) & ~(BootLayout.PageSize - 1)) < floor)
            throw file.Error($"initrd of {size >> 20} MiB does not fit between the kernel's end (0x{kernelEnd:x}) and 0x{limit:x}; give the guest more RAM");
        ulong address = (limit - size) & ~(BootLayout.PageSize - 1);
        file.CopyTo(memory, new GuestAddress(address), 0, size, "initrd");
        return (address, size);
    }

    /// <summary>The command line as the kernel gets it: UTF-8 with a terminating NUL.</summary>
    private static byte[] EncodeCommandLine(KernelImage kernel, string commandLine)
    {
        ArgumentNullException.ThrowIfNull(commandLine);
        byte[] bytes = Encoding.UTF8.GetBytes(commandLine + "\0");
        if (Array.IndexOf(bytes, (byte)0) != bytes.Length - 1)
            throw new BootImageException("command line", $"for {kernel.Path}", "contains a NUL character");
        uint kernelMax = kernel.BzImage?.Header.CmdlineSize ?? ElfCommandLineMax;
        ulong max = Math.Min(kernelMax, BootLayout.CommandLineAreaSize - 1);
        if ((ulong)bytes.Length - 1 > max)
            throw new BootImageException("command line", $"for {kernel.Path}", $"is {bytes.Length - 1} bytes, the kernel takes at most {max}");
        return bytes;
    }

    private static void ZeroRange(IGuestMemory memory, GuestAddress address, ulong length)
    {
        const ulong chunk = 16 << 20;
        for (ulong done = 0; done < length; done += chunk)
            memory.GetSpan(address + done, Math.Min(chunk, length - done)).Clear();
    }

    private static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);
}
