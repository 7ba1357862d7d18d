using System.Runtime.InteropServices;

namespace MiniVmm.Native.Kvm;

/// <summary>struct kvm_sregs (x86): segments, descriptor tables, control registers, EFER.</summary>
[StructLayout(LayoutKind.Sequential)]
public struct KvmSregs
{
    public KvmSegment Cs, Ds, Es, Fs, Gs, Ss, Tr, Ldt;
    public KvmDtable Gdt, Idt;
    public ulong Cr0, Cr2, Cr3, Cr4, Cr8;
    public ulong Efer;
    public ulong ApicBase;
    // __u64 interrupt_bitmap[(KVM_NR_INTERRUPTS + 63) / 64], KVM_NR_INTERRUPTS = 256.
    public ulong InterruptBitmap0, InterruptBitmap1, InterruptBitmap2, InterruptBitmap3;
}
