using MiniVmm.Kvm;
using MiniVmm.Machine.Boot;
using MiniVmm.Native.Kvm;

namespace MiniVmm.Machine.Runtime;

/// <summary>Puts a vCPU in the 64-bit entry state the loader describes, and gives every vCPU its CPUID and boot MSRs.</summary>
public static class VcpuBootSetup
{
    /// <summary>Gives <paramref name="vcpu"/> its leaves (<see cref="GuestCpuid.For"/>).</summary>
    public static void SetCpuid(Vcpu vcpu, KvmCpuidEntry2[] supported, int cpuCount, bool tscDeadlineTimer, bool ringZeroEmulated) =>
        vcpu.SetCpuid(GuestCpuid.For(supported, vcpu.Id, cpuCount, tscDeadlineTimer, ringZeroEmulated));

    /// <summary>Sets the MSRs firmware would have set (<see cref="BootMsrs"/>); every vCPU, or Linux sees CPUs that disagree.</summary>
    public static void SetBootMsrs(Vcpu vcpu)
    {
        ulong miscEnable = vcpu.GetMsrs([BootMsrs.Ia32MiscEnable])[0].Data;
        vcpu.SetMsrs(BootMsrs.Entries(miscEnable));
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
