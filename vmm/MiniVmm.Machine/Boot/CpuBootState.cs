namespace MiniVmm.Machine.Boot;

/// <summary>
/// Register state of the boot CPU at the kernel's 64-bit entry (Documentation/arch/x86/boot.rst,
/// "64-bit Boot Protocol"): long mode with identity-mapped paging, CS = a 64-bit code segment
/// (<paramref name="CodeSelector"/>, Linux's __BOOT_CS 0x10), DS/ES/SS = <paramref name="DataSelector"/>
/// (__BOOT_DS 0x18), interrupts off, RSI = guest-physical address of boot_params.
/// </summary>
public sealed record CpuBootState(
    ulong Rip,
    ulong Rsi,
    ulong Rsp,
    ulong Rflags,
    ulong Cr0,
    ulong Cr3,
    ulong Cr4,
    ulong Efer,
    ulong GdtBase,
    ushort GdtLimit,
    ushort CodeSelector,
    ushort DataSelector);
