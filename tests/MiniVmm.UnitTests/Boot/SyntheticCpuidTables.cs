using MiniVmm.Native.Kvm;

namespace MiniVmm.UnitTests.Boot;

/// <summary>
/// KVM_GET_SUPPORTED_CPUID as hosts older than Linux 6.14 report it (no HYPERVISOR, no TSC-deadline in
/// leaf 1 ECX), with the host's own topology in it: the tables MiniVmm meets on Debian 12, Ubuntu
/// 22.04/24.04 and RHEL 8/9. Values are typical of real parts; the ones that matter are spelled out.
/// </summary>
public static class SyntheticCpuidTables
{
    public const uint SignificantIndex = 1; // KVM_CPUID_FLAG_SIGNIFCANT_INDEX

    /// <summary>Leaf 1 ECX of both tables: bits 24 (TSC-deadline) and 31 (HYPERVISOR) clear, bit 13 (CX16) set.</summary>
    public const uint Leaf1Ecx = 0x76FA_3203;

    /// <summary>
    /// An Intel host with 2 threads per core and 8 cores, on the CPU with APIC id 0x16: leaf 1 EBX says
    /// 16 logical processors and APIC id 0x16, leaf 0xB/0x1F say SMT 2 and core width 5, 0x1F adds a die level.
    /// </summary>
    public static KvmCpuidEntry2[] IntelPre614() =>
    [
        Leaf(0x0, 0, 0x1F, 0x756E_6547, 0x6C65_746E, 0x4965_6E69), // "GenuineIntel"
        Leaf(0x1, 0, 0x0009_06EA, 0x1610_0800, Leaf1Ecx, 0x1F8B_FBFF), // EDX bit 28 HTT
        Sub(0x4, 0, 0x1C00_4121, 0x01C0_003F, 0x3F, 0), // L1d: EAX[31:26] = 7 (8 cores), [25:14] = 1 (2 threads)
        Sub(0x4, 1, 0x1C00_4122, 0x01C0_003F, 0x3F, 0),
        Sub(0x4, 2, 0x1C00_4143, 0x00C0_003F, 0x3FF, 0),
        Sub(0x4, 3, 0x1C03_C163, 0x03C0_003F, 0x2FFF, 6), // L3: [25:14] = 15 (16 threads share it)
        Sub(0x4, 4, 0, 0, 0, 0),
        Sub(0xB, 0, 1, 2, 0x100, 0x16),
        Sub(0xB, 1, 5, 16, 0x201, 0x16),
        Sub(0xB, 2, 0, 0, 0x2, 0x16),
        Sub(0x1F, 0, 1, 2, 0x100, 0x16),
        Sub(0x1F, 1, 5, 16, 0x201, 0x16),
        Sub(0x1F, 2, 6, 16, 0x502, 0x16), // die level
        Sub(0x1F, 3, 0, 0, 0x3, 0x16),
        Leaf(0x4000_0000, 0, 0x4000_0001, 0x4B4D_564B, 0x564B_4D56, 0x0000_004D), // "KVMKVMKVM"
        Leaf(0x4000_0001, 0, 0x0100_7AFB, 0, 0, 0), // kvm-clock and friends
        Leaf(0x8000_0000, 0, 0x8000_0008, 0, 0, 0),
        Leaf(0x8000_0001, 0, 0, 0, 0x0000_0121, 0x2C10_0800),
        Leaf(0x8000_0008, 0, 0x0000_3027, 0, 0, 0),
    ];

    /// <summary>
    /// An AMD host (TOPOEXT) with 2 threads per core on the CPU with APIC id 0x16: 0x80000008 ECX says 64
    /// threads (NC 63) and APIC id size 7; 0x8000001E says compute unit 0x0B with 2 threads, node 1.
    /// </summary>
    public static KvmCpuidEntry2[] AmdPre614() =>
    [
        Leaf(0x0, 0, 0x10, 0x6874_7541, 0x444D_4163, 0x6974_6E65), // "AuthenticAMD"
        Leaf(0x1, 0, 0x00A0_0F11, 0x1640_0800, Leaf1Ecx, 0x1789_FBFF), // EBX: APIC id 0x16, 64 logical
        Sub(0xB, 0, 1, 2, 0x100, 0x16),
        Sub(0xB, 1, 7, 64, 0x201, 0x16),
        Leaf(0x4000_0000, 0, 0x4000_0001, 0x4B4D_564B, 0x564B_4D56, 0x0000_004D),
        Leaf(0x4000_0001, 0, 0x0100_7AFB, 0, 0, 0),
        Leaf(0x8000_0000, 0, 0x8000_0021, 0x6874_7541, 0x444D_4163, 0x6974_6E65),
        Leaf(0x8000_0001, 0, 0x00A0_0F11, 0, 0x0040_0003, 0x2FD3_FBFF), // ECX: TOPOEXT (22), CmpLegacy (1)
        Leaf(0x8000_0008, 0, 0x0000_3030, 0, 0x0001_703F, 0), // ECX: PerfTscSize 1, ApicIdSize 7, NC 63
        Leaf(0x8000_001E, 0, 0x16, 0x0000_010B, 0x0000_0001, 0),
    ];

    private static KvmCpuidEntry2 Leaf(uint function, uint flags, uint eax, uint ebx, uint ecx, uint edx) =>
        new() { Function = function, Index = 0, Flags = flags, Eax = eax, Ebx = ebx, Ecx = ecx, Edx = edx };

    private static KvmCpuidEntry2 Sub(uint function, uint index, uint eax, uint ebx, uint ecx, uint edx) =>
        new() { Function = function, Index = index, Flags = SignificantIndex, Eax = eax, Ebx = ebx, Ecx = ecx, Edx = edx };
}
