using MiniVmm.Native.Kvm;

namespace MiniVmm.Machine.Boot;

/// <summary>
/// The MSRs a PC firmware sets on every CPU before the OS runs, which KVM's reset state leaves clear
/// (numbers from the SDM vol. 4, table 2-2; Firecracker and Cloud Hypervisor set the same two).
/// </summary>
public static class BootMsrs
{
    public const uint Ia32MiscEnable = 0x1A0;
    public const uint Ia32MtrrDefType = 0x2FF;

    /// <summary>IA32_MISC_ENABLE bit 0: fast-strings enable (rep movs/stos in cache-line chunks).</summary>
    public const ulong MiscEnableFastStrings = 1;

    /// <summary>IA32_MTRR_DEF_TYPE bit 11 (E): MTRRs enabled; bits 7:0 the default memory type.</summary>
    public const ulong MtrrDefTypeEnable = 1UL << 11;

    /// <summary>Memory type 6, write-back (SDM vol. 3A, table 11-8).</summary>
    public const ulong MemoryTypeWriteBack = 6;

    /// <summary>
    /// MTRRs on with all memory write-back by default (no variable ranges: the PCI hole is uncached by
    /// the page tables' PAT bits, as Linux maps MMIO), and fast strings on. <paramref name="miscEnable"/>
    /// is the vCPU's current IA32_MISC_ENABLE, whose other bits (KVM's "PEBS/BTS unavailable") are kept.
    /// Without MTRRs enabled Linux turns PAT off too ("x86/PAT: MTRRs disabled, skipping PAT initialization too").
    /// </summary>
    public static KvmMsrEntry[] Entries(ulong miscEnable) =>
    [
        new() { Index = Ia32MtrrDefType, Data = MtrrDefTypeEnable | MemoryTypeWriteBack },
        new() { Index = Ia32MiscEnable, Data = miscEnable | MiscEnableFastStrings },
    ];
}
