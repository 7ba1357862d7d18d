namespace MiniVmm.Machine.Boot;

/// <summary>The two kernel image formats MiniVmm boots through the 64-bit Linux boot protocol.</summary>
public enum KernelFormat
{
    /// <summary>An ELF64 executable (a Linux vmlinux, or the steering probe): PT_LOAD segments by p_paddr.</summary>
    Elf,

    /// <summary>A bzImage: real-mode setup sectors plus a protected-mode kernel with a 64-bit entry at +0x200.</summary>
    BzImage,
}
