namespace MiniVmm.Machine.Boot;

/// <summary>A kernel file that <see cref="KernelLoader.Inspect"/> recognised and checked; cheap to keep.</summary>
public sealed class KernelImage
{
    internal KernelImage(string path, ElfKernel elf)
    {
        Path = path;
        Format = KernelFormat.Elf;
        Elf = elf;
        EntryPoint = elf.EntryPoint;
    }

    internal KernelImage(string path, BzImageKernel bzImage)
    {
        Path = path;
        Format = KernelFormat.BzImage;
        BzImage = bzImage;
        EntryPoint = bzImage.EntryPoint;
    }

    public string Path { get; }

    public KernelFormat Format { get; }

    /// <summary>Guest-physical address of the 64-bit entry point (the boot CPU's RIP).</summary>
    public ulong EntryPoint { get; }

    /// <summary>Set when <see cref="Format"/> is <see cref="KernelFormat.Elf"/>.</summary>
    public ElfKernel? Elf { get; }

    /// <summary>Set when <see cref="Format"/> is <see cref="KernelFormat.BzImage"/>.</summary>
    public BzImageKernel? BzImage { get; }

    /// <summary>Physical end (exclusive) of what the kernel occupies once loaded (bzImage: while decompressing).</summary>
    public ulong End => Elf?.End ?? BzImage!.End;

    /// <summary>One line for logs, e.g. "ELF vmlinux, 4 PT_LOAD segments, entry 0x1000000".</summary>
    public override string ToString() => Format == KernelFormat.Elf
        ? $"ELF, {Elf!.Segments.Count} PT_LOAD segments, entry 0x{EntryPoint:x}"
        : $"bzImage, boot protocol {BzImage!.Header.VersionText}, loaded at 0x{BzImage.LoadAddress:x}, entry 0x{EntryPoint:x}";
}
