namespace MiniVmm.Machine.Boot;

/// <summary>
/// A bzImage booted through the 64-bit boot protocol (Documentation/arch/x86/boot.rst,
/// "64-bit Boot Protocol"): the real-mode setup is skipped, the protected-mode kernel (its
/// decompressor) is loaded high and entered at load address + 0x200 in long mode.
/// </summary>
public sealed class BzImageKernel
{
    /// <summary>Offset of startup_64 from the start of the protected-mode kernel (boot.rst).</summary>
    public const ulong Entry64Offset = 0x200;

    /// <summary>The earliest protocol with cmdline_size; older kernels are refused outright.</summary>
    public const ushort MinimumVersion = 0x0206;

    /// <summary>Protocol 2.12 added xloadflags, where XLF_KERNEL_64 announces the 64-bit entry.</summary>
    public const ushort Kernel64Version = 0x020C;

    private const int SectorBytes = 512;

    private BzImageKernel(SetupHeader header, long kernelOffset, ulong kernelSize, ulong loadAddress, ulong memoryNeeded)
    {
        Header = header;
        KernelOffset = kernelOffset;
        KernelSize = kernelSize;
        LoadAddress = loadAddress;
        MemoryNeeded = memoryNeeded;
    }

    public SetupHeader Header { get; }

    /// <summary>File offset of the protected-mode kernel: (setup_sects + 1) * 512.</summary>
    public long KernelOffset { get; }

    /// <summary>Bytes of protected-mode kernel to load (syssize * 16).</summary>
    public ulong KernelSize { get; }

    /// <summary>Guest-physical load address: pref_address for a relocatable kernel, else code32_start.</summary>
    public ulong LoadAddress { get; }

    /// <summary>Bytes the kernel needs from LoadAddress on while it decompresses (init_size, at least KernelSize).</summary>
    public ulong MemoryNeeded { get; }

    public ulong EntryPoint => LoadAddress + Entry64Offset;

    public ulong End => LoadAddress + MemoryNeeded;

    internal static BzImageKernel Parse(BootFile file, ReadOnlySpan<byte> head)
    {
        if (head.Length < SetupHeader.RegionEnd)
            throw file.Error($"truncated bzImage setup header (file is {file.Length} bytes)");
        SetupHeader h = SetupHeader.Parse(head);
        if (h.Version < MinimumVersion)
            throw file.Error($"bzImage boot protocol {h.VersionText} is too old (MiniVmm needs 2.06 or later)");
        if ((h.LoadFlags & SetupHeader.LoadedHigh) == 0)
            throw file.Error("zImage (loaded low) is not supported; use a bzImage or a vmlinux");
        if (h.Version < Kernel64Version || (h.XLoadFlags & SetupHeader.XlfKernel64) == 0)
            throw file.Error($"bzImage (protocol {h.VersionText}) has no 64-bit entry point (XLF_KERNEL_64 in xloadflags, protocol 2.12+)");

        int setupSects = h.SetupSects == 0 ? 4 : h.SetupSects;
        long kernelOffset = (setupSects + 1L) * SectorBytes;
        if (kernelOffset >= file.Length)
            throw file.Error($"truncated bzImage: setup sectors end at {kernelOffset}, file is {file.Length} bytes");
        ulong kernelSize = h.SysSize * 16UL;
        ulong available = (ulong)(file.Length - kernelOffset);
        if (kernelSize == 0 || kernelSize > available)
            throw file.Error($"truncated bzImage protected-mode kernel (syssize says {kernelSize} bytes, file has {available})");

        ulong load = h.RelocatableKernel ? AlignUp(h.PrefAddress, h.KernelAlignment) : h.Code32Start;
        if (load < BootLayout.HighMemoryStart || load >= BootLayout.RamLimit)
            throw file.Error($"bzImage wants to be loaded at 0x{load:x}, outside 1 MiB..3 GiB");
        return new BzImageKernel(h, kernelOffset, kernelSize, load, Math.Max(h.InitSize, kernelSize));
    }

    private static ulong AlignUp(ulong value, uint alignment)
    {
        if (alignment == 0 || (alignment & (alignment - 1)) != 0) return value;
        ulong mask = alignment - 1UL;
        return value > ulong.MaxValue - mask ? value : (value + mask) & ~mask;
    }
}
