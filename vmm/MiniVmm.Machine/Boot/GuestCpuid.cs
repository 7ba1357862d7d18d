using MiniVmm.Native.Kvm;

namespace MiniVmm.Machine.Boot;

/// <summary>
/// The CPUID leaves one vCPU presents, derived from KVM's supported table (KVM_GET_SUPPORTED_CPUID).
/// A pure function of its inputs, so it is tested on synthetic tables of hosts we do not have.
/// </summary>
public static class GuestCpuid
{
    /// <summary>Leaf 1 ECX bit 13: CMPXCHG16B (SDM vol. 2A, CPUID).</summary>
    public const uint Leaf1EcxCx16 = 1u << 13;

    /// <summary>
    /// The leaves for vCPU <paramref name="vcpuId"/> of <paramref name="cpuCount"/>. Where ring-0 guest code
    /// is emulated (PVM), CMPXCHG16B is hidden: the emulator fails on `lock cmpxchg16b`, and Linux uses it in
    /// the slab allocator only when CPUID offers it (a CPU must not advertise what it cannot run).
    /// </summary>
    public static KvmCpuidEntry2[] For(ReadOnlySpan<KvmCpuidEntry2> supported, int vcpuId, int cpuCount, bool tscDeadlineTimer, bool ringZeroEmulated)
    {
        var entries = supported.ToArray();
        for (int i = 0; i < entries.Length; i++)
        {
            // Leaf 1 EBX[31:24] is the initial APIC id; leaf 0xB EDX the x2APIC id (SDM vol. 2A, CPUID).
            if (entries[i].Function == 1)
            {
                entries[i].Ebx = (entries[i].Ebx & 0x00FF_FFFF) | ((uint)vcpuId << 24);
                if (ringZeroEmulated) entries[i].Ecx &= ~Leaf1EcxCx16;
            }
            if (entries[i].Function == 0xB) entries[i].Edx = (uint)vcpuId;
        }
        return entries;
    }
}
