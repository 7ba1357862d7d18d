using System.Numerics;
using MiniVmm.Native.Kvm;

namespace MiniVmm.Machine.Boot;

/// <summary>
/// The CPUID leaves one vCPU presents, derived from KVM's supported table (KVM_GET_SUPPORTED_CPUID).
/// A pure function of its inputs, so it is tested on synthetic tables of hosts we do not have.
/// <para>
/// The topology is MiniVmm's, never the host's: N vCPUs are N cores of one package, one thread per
/// core, APIC id = vCPU index (as the MADT and MP tables say). KVM's table carries the host's values
/// (its thread count, the APIC id of whatever CPU answered), so leaves 1, 4, 0xB, 0x1F, 0x80000008 and
/// 0x8000001E are rewritten per vCPU, as Firecracker and Cloud Hypervisor do; without it a guest sees
/// SMT siblings or APIC ids that do not match its MADT.
/// </para>
/// </summary>
public static class GuestCpuid
{
    /// <summary>Leaf 1 ECX bit 13: CMPXCHG16B (SDM vol. 2A, CPUID).</summary>
    public const uint Leaf1EcxCx16 = 1u << 13;

    /// <summary>Leaf 1 ECX bit 24: the local APIC timer supports TSC-deadline mode.</summary>
    public const uint Leaf1EcxTscDeadline = 1u << 24;

    /// <summary>Leaf 1 ECX bit 31: running under a hypervisor (reserved 0 on hardware; Linux's X86_FEATURE_HYPERVISOR).</summary>
    public const uint Leaf1EcxHypervisor = 1u << 31;

    /// <summary>Leaf 1 EDX bit 28: HTT, "EBX[23:16] is valid" (more than one logical processor in the package).</summary>
    public const uint Leaf1EdxHtt = 1u << 28;

    /// <summary>kvm_cpuid_entry2.flags: the entry is per subleaf (KVM_CPUID_FLAG_SIGNIFCANT_INDEX).</summary>
    public const uint SignificantIndexFlag = 1;

    // Leaf 0xB / 0x1F level types (ECX[15:8]).
    private const uint LevelSmt = 1, LevelCore = 2;

    /// <summary>
    /// The leaves for vCPU <paramref name="vcpuId"/> of <paramref name="cpuCount"/>:
    /// <list type="bullet">
    /// <item>HYPERVISOR always: without it a guest runs as on bare metal, with no kvm-clock and no
    /// paravirtual features (KVM reports the bit itself only from Linux 6.14).</item>
    /// <item>TSC-deadline exactly when <paramref name="tscDeadlineTimer"/> (KVM_CAP_TSC_DEADLINE_TIMER):
    /// KVM emulates it in the in-kernel LAPIC but does not list it before 6.14.</item>
    /// <item>Where ring-0 guest code is emulated (PVM), CMPXCHG16B is hidden: the emulator fails on
    /// `lock cmpxchg16b`, and Linux uses it in the slab allocator only when CPUID offers it.</item>
    /// </list>
    /// </summary>
    public static KvmCpuidEntry2[] For(ReadOnlySpan<KvmCpuidEntry2> supported, int vcpuId, int cpuCount, bool tscDeadlineTimer, bool ringZeroEmulated)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cpuCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cpuCount, 255);
        ArgumentOutOfRangeException.ThrowIfNegative(vcpuId);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(vcpuId, cpuCount);

        uint apicId = (uint)vcpuId;
        uint count = (uint)cpuCount;
        // Bits of APIC id the cores take: the shift from core level to package level in 0xB/0x1F.
        uint coreShift = count == 1 ? 0 : (uint)(32 - BitOperations.LeadingZeroCount(count - 1));
        bool amd = IsAmdLike(supported);

        var entries = new List<KvmCpuidEntry2>(supported.Length + 4);
        foreach (KvmCpuidEntry2 source in supported)
        {
            KvmCpuidEntry2 e = source;
            switch (e.Function)
            {
                case 0x1:
                    // EBX[31:24] initial APIC id, [23:16] addressable logical processor ids, [15:0] kept (CLFLUSH, brand).
                    e.Ebx = (e.Ebx & 0xFFFF) | (count << 16) | (apicId << 24);
                    e.Ecx |= Leaf1EcxHypervisor;
                    e.Ecx = tscDeadlineTimer ? e.Ecx | Leaf1EcxTscDeadline : e.Ecx & ~Leaf1EcxTscDeadline;
                    if (ringZeroEmulated) e.Ecx &= ~Leaf1EcxCx16;
                    e.Edx = count > 1 ? e.Edx | Leaf1EdxHtt : e.Edx & ~Leaf1EdxHtt;
                    break;
                case 0x4 when !amd:
                    // Deterministic cache parameters: EAX[31:26] cores per package - 1; [25:14] logical processors
                    // sharing this cache - 1: one (its core's only thread) for L1/L2, all of them for L3.
                    if ((e.Eax & 0x1F) == 0) break; // type 0: no more caches
                    uint level = (e.Eax >> 5) & 0x7;
                    uint sharing = level >= 3 ? count - 1 : 0;
                    e.Eax = (e.Eax & 0x3FFF) | (Math.Min(count - 1, 63) << 26) | (sharing << 14);
                    break;
                case 0xB:
                case 0x1F:
                    continue; // replaced below, for every vCPU the same two levels
                case 0x8000_0008 when amd:
                    // ECX[15:12] ApicIdSize, [7:0] NC = physical cores - 1 (AMD APM vol. 3, E.4.7); the rest kept.
                    e.Ecx = (e.Ecx & ~0xF0FFu) | (coreShift << 12) | (count - 1);
                    break;
                case 0x8000_001E when amd:
                    // EAX extended APIC id; EBX[15:8] threads per compute unit - 1, [7:0] compute unit id;
                    // ECX[10:8] nodes per processor - 1, [7:0] node id (AMD APM vol. 3, E.4.15).
                    e.Eax = apicId;
                    e.Ebx = apicId & 0xFF;
                    e.Ecx = 0;
                    e.Edx = 0;
                    break;
            }
            entries.Add(e);
        }

        foreach (uint leaf in new uint[] { 0xB, 0x1F })
        {
            // Only leaves the table has (and so the maximum basic leaf covers): a leaf above leaf 0's EAX is never read.
            if (!Contains(supported, leaf)) continue;
            // Subleaf 0, SMT: shift 0 (one thread per core), 1 processor. Subleaf 1, core: shift to the package,
            // N processors. EDX = x2APIC id. KVM answers higher subleaves as invalid levels itself.
            entries.Add(Level(leaf, 0, shift: 0, processors: 1, LevelSmt, apicId));
            entries.Add(Level(leaf, 1, coreShift, count, LevelCore, apicId));
        }
        return entries.ToArray();
    }

    private static KvmCpuidEntry2 Level(uint leaf, uint subleaf, uint shift, uint processors, uint type, uint x2apicId) => new()
    {
        Function = leaf,
        Index = subleaf,
        Flags = SignificantIndexFlag,
        Eax = shift,
        Ebx = processors,
        Ecx = (type << 8) | subleaf,
        Edx = x2apicId,
    };

    private static bool Contains(ReadOnlySpan<KvmCpuidEntry2> table, uint function)
    {
        foreach (KvmCpuidEntry2 e in table) if (e.Function == function) return true;
        return false;
    }

    /// <summary>"AuthenticAMD" or "HygonGenuine" in leaf 0 (EBX, EDX, ECX): the 0x8000001E and 0x80000008 layouts apply.</summary>
    private static bool IsAmdLike(ReadOnlySpan<KvmCpuidEntry2> table)
    {
        foreach (KvmCpuidEntry2 e in table)
        {
            if (e.Function != 0) continue;
            return (e.Ebx, e.Edx, e.Ecx) is (0x6874_7541, 0x6974_6E65, 0x444D_4163) // "Auth" "enti" "cAMD"
                or (0x6F67_7948, 0x6E65_476E, 0x656E_6975);                     // "Hygo" "nGen" "uine"
        }
        return false;
    }
}
