namespace MiniVmm.Machine.Boot;

/// <summary>
/// Register state of the boot CPU at the kernel's 64-bit entry (Documentation/arch/x86/boot.rst,
/// "64-bit Boot Protocol"): long mode with identity-mapped paging, CS = a 64-bit code segment
/// (<paramref name="CodeSelector"/>, Linux's __BOOT_CS 0x10), DS/ES/SS = <paramref name="DataSelector"/>
/// (__BOOT_DS 0x18), interrupts off, RSI = guest-physical address of boot_params.
/// As kvm_segment values (the hidden parts of the descriptors in <see cref="Gdt"/>): CS base 0,
/// limit 0xFFFFFFFF, type 11, s 1, dpl 0, present 1, l 1, db 0, g 1; DS/ES/FS/GS/SS base 0,
/// limit 0xFFFFFFFF, type 3, s 1, present 1, db 1, g 1. KVM also wants TR to be a busy 64-bit TSS
/// (type 11, present) and accepts any base; the IDT may stay empty (limit 0), as interrupts are off.
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
