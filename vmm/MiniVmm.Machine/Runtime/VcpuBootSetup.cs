using MiniVmm.Kvm;
using MiniVmm.Machine.Boot;
using MiniVmm.Native.Kvm;

namespace MiniVmm.Machine.Runtime;

/// <summary>Puts a vCPU in the 64-bit entry state the loader describes, and gives every vCPU its CPUID.</summary>
public static class VcpuBootSetup
{
    /// <summary>Leaf 1 ECX bit 13: CMPXCHG16B (SDM vol. 2A, CPUID).</summary>
    public const uint Cpuid1EcxCx16 = 1u << 13;

    /// <summary>
    /// KVM's supported CPUID with the APIC id of <paramref name="vcpuId"/> filled in. Where ring-0 guest
    /// code is emulated (PVM), CMPXCHG16B is hidden: the emulator fails on `lock cmpxchg16b`, and Linux
    /// uses it in the slab allocator only when CPUID offers it (a CPU must not advertise what it cannot run).
    /// </summary>
    public static void SetCpuid(Vcpu vcpu, KvmCpuidEntry2[] supported, int vcpuId, bool ringZeroEmulated)
    {
        var entries = (KvmCpuidEntry2[])supported.Clone();
        for (int i = 0; i < entries.Length; i++)
        {
            // Leaf 1 EBX[31:24] is the initial APIC id; leaf 0xB EDX the x2APIC id (SDM vol. 2A, CPUID).
            if (entries[i].Function == 1)
            {
                entries[i].Ebx = (entries[i].Ebx & 0x00FF_FFFF) | ((uint)vcpuId << 24);
                if (ringZeroEmulated) entries[i].Ecx &= ~Cpuid1EcxCx16;
            }
            if (entries[i].Function == 0xB) entries[i].Edx = (uint)vcpuId;
        }
        vcpu.SetCpuid(entries);
    }

    /// <summary>Long mode, paging on, flat 64-bit CS and flat data segments, as Linux's 64-bit boot protocol asks.</summary>
    public static void ApplyBootState(Vcpu vcpu, CpuBootState state)
    {
        KvmSregs sregs = vcpu.GetSregs();
        var code = new KvmSegment
        {
            Base = 0, Limit = 0xFFFF_FFFF, Selector = state.CodeSelector, Type = 0xB,
            Present = 1, Dpl = 0, Db = 0, S = 1, L = 1, G = 1,
        };
        var data = new KvmSegment
        {
            Base = 0, Limit = 0xFFFF_FFFF, Selector = state.DataSelector, Type = 0x3,
            Present = 1, Dpl = 0, Db = 1, S = 1, L = 0, G = 1,
        };
        sregs.Cs = code;
        sregs.Ds = sregs.Es = sregs.Fs = sregs.Gs = sregs.Ss = data;
        sregs.Gdt = new KvmDtable { Base = state.GdtBase, Limit = state.GdtLimit };
        sregs.Cr0 = state.Cr0;
        sregs.Cr3 = state.Cr3;
        sregs.Cr4 = state.Cr4;
        sregs.Efer = state.Efer;
        vcpu.SetSregs(sregs);

        vcpu.SetRegs(new KvmRegs { Rip = state.Rip, Rsi = state.Rsi, Rsp = state.Rsp, Rbp = state.Rsp, Rflags = state.Rflags });
    }
}
