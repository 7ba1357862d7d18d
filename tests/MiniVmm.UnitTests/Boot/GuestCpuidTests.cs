using MiniVmm.Machine.Boot;
using MiniVmm.Native.Kvm;

namespace MiniVmm.UnitTests.Boot;

/// <summary>
/// The CPUID a vCPU sees, from a pre-6.14 host's supported table (<see cref="SyntheticCpuidTables"/>).
/// Expected values are worked out by hand from the SDM (vol. 2A, CPUID) and the AMD APM (vol. 3, E.4)
/// for MiniVmm's topology: N vCPUs are N cores of one package, one thread each, APIC id = vCPU index.
/// </summary>
public sealed class GuestCpuidTests
{
    private const uint Hypervisor = 1u << 31, TscDeadline = 1u << 24, Cx16 = 1u << 13, Htt = 1u << 28;

    private static KvmCpuidEntry2 Get(KvmCpuidEntry2[] leaves, uint function, uint index = 0) =>
        Assert.Single(leaves, e => e.Function == function && e.Index == index);

    private static (uint, uint, uint, uint) Regs(KvmCpuidEntry2 e) => (e.Eax, e.Ebx, e.Ecx, e.Edx);

    [Fact]
    public void Hypervisor_bit_is_set_even_when_the_host_table_lacks_it()
    {
        var leaves = GuestCpuid.For(SyntheticCpuidTables.IntelPre614(), 0, 1, tscDeadlineTimer: false, ringZeroEmulated: false);
        // "ECX bit 31: Not Used. Always returns 0" on bare metal; hypervisors set it (Linux: X86_FEATURE_HYPERVISOR).
        Assert.Equal(SyntheticCpuidTables.Leaf1Ecx | Hypervisor, Get(leaves, 1).Ecx);
    }

    [Fact]
    public void Tsc_deadline_is_offered_exactly_when_kvm_has_KVM_CAP_TSC_DEADLINE_TIMER()
    {
        var with = GuestCpuid.For(SyntheticCpuidTables.IntelPre614(), 0, 1, tscDeadlineTimer: true, ringZeroEmulated: false);
        Assert.Equal(0xF7FA_3203u, Get(with, 1).Ecx); // Leaf1Ecx | HYPERVISOR | TSC_DEADLINE

        var table = SyntheticCpuidTables.IntelPre614();
        table[1].Ecx |= TscDeadline; // a table that claims it, on a KVM that cannot emulate it
        var without = GuestCpuid.For(table, 0, 1, tscDeadlineTimer: false, ringZeroEmulated: false);
        Assert.Equal(0u, Get(without, 1).Ecx & TscDeadline);
    }

    [Fact]
    public void Cmpxchg16b_is_hidden_only_where_ring0_is_emulated()
    {
        Assert.Equal(0u, Get(GuestCpuid.For(SyntheticCpuidTables.IntelPre614(), 0, 1, false, ringZeroEmulated: true), 1).Ecx & Cx16);
        Assert.Equal(Cx16, Get(GuestCpuid.For(SyntheticCpuidTables.IntelPre614(), 0, 1, false, ringZeroEmulated: false), 1).Ecx & Cx16);
    }

    [Theory]
    [InlineData(0, 1, 0x0001_0800u, 0x0F8B_FBFFu)] // one CPU: 1 logical processor, HTT clear
    [InlineData(1, 2, 0x0102_0800u, 0x1F8B_FBFFu)] // APIC id 1, 2 logical processors, HTT set
    [InlineData(5, 8, 0x0508_0800u, 0x1F8B_FBFFu)]
    public void Leaf_1_has_the_vcpus_apic_id_and_the_vms_logical_processor_count(int vcpu, int cpus, uint ebx, uint edx)
    {
        // EBX[31:24] initial APIC id, [23:16] max addressable logical processor ids, [15:8] CLFLUSH (host's 8).
        var leaves = GuestCpuid.For(SyntheticCpuidTables.IntelPre614(), vcpu, cpus, false, false);
        Assert.Equal(ebx, Get(leaves, 1).Ebx);
        Assert.Equal(edx, Get(leaves, 1).Edx);
        Assert.Equal(cpus > 1 ? Htt : 0, Get(leaves, 1).Edx & Htt);
    }

    [Theory]
    [InlineData(1, 2, 1u)] // 2 cores need 1 bit of APIC id
    [InlineData(2, 3, 2u)] // 3 cores need 2 bits
    [InlineData(0, 1, 0u)]
    [InlineData(63, 64, 6u)]
    public void Leaf_0xB_says_one_thread_per_core_and_as_many_cores_as_vcpus(int vcpu, int cpus, uint coreShift)
    {
        foreach (uint leaf in new uint[] { 0xB, 0x1F })
        {
            var leaves = GuestCpuid.For(SyntheticCpuidTables.IntelPre614(), vcpu, cpus, false, false);
            // Subleaf 0, SMT level (ECX[15:8] = 1): shift 0, 1 logical processor; subleaf 1, core level (2):
            // shift to the package, N processors. EDX is the x2APIC id at every level.
            Assert.Equal((0u, 1u, 0x100u, (uint)vcpu), Regs(Get(leaves, leaf, 0)));
            Assert.Equal((coreShift, (uint)cpus, 0x201u, (uint)vcpu), Regs(Get(leaves, leaf, 1)));
            // No level above the core: KVM answers subleaves >= 2 as invalid (ECX = index, EDX = x2APIC id).
            Assert.DoesNotContain(leaves, e => e.Function == leaf && e.Index >= 2);
        }
    }

    [Fact]
    public void Intel_leaf_4_counts_the_vms_cores_and_who_shares_each_cache()
    {
        var leaves = GuestCpuid.For(SyntheticCpuidTables.IntelPre614(), 0, 4, false, false);
        // EAX[31:26] cores per package - 1 = 3; [25:14] threads sharing - 1: 0 for L1/L2 (per core), 3 for L3.
        Assert.Equal(0x0C00_0121u, Get(leaves, 4, 0).Eax);
        Assert.Equal(0x0C00_0122u, Get(leaves, 4, 1).Eax);
        Assert.Equal(0x0C00_0143u, Get(leaves, 4, 2).Eax);
        Assert.Equal(0x0C00_C163u, Get(leaves, 4, 3).Eax);
        Assert.Equal(0u, Get(leaves, 4, 4).Eax); // the terminating "no more caches" subleaf stays 0
        Assert.Equal(0x03C0_003Fu, Get(leaves, 4, 3).Ebx); // geometry passes through
    }

    [Fact]
    public void Amd_0x8000001E_and_0x80000008_describe_one_thread_per_core_in_one_node()
    {
        var leaves = GuestCpuid.For(SyntheticCpuidTables.AmdPre614(), 1, 2, false, false);
        // 0x8000001E: EAX extended APIC id; EBX[15:8] threads per compute unit - 1 = 0, [7:0] compute unit id;
        // ECX[10:8] nodes per processor - 1 = 0, [7:0] node id 0.
        Assert.Equal((1u, 1u, 0u, 0u), Regs(Get(leaves, 0x8000_001E)));
        // 0x80000008 ECX: [15:12] ApicIdSize = 1 bit for 2 cores, [7:0] NC = 2 - 1; PerfTscSize (bit 16) kept.
        Assert.Equal(0x0001_1001u, Get(leaves, 0x8000_0008).Ecx);
        Assert.Equal(0x0102_0800u, Get(leaves, 1).Ebx);
        Assert.Equal((1u, 2u, 0x201u, 1u), Regs(Get(leaves, 0xB, 1)));
    }

    [Fact]
    public void Other_leaves_pass_through_and_the_input_table_is_not_modified()
    {
        var table = SyntheticCpuidTables.IntelPre614();
        var copy = (KvmCpuidEntry2[])table.Clone();
        var leaves = GuestCpuid.For(table, 3, 4, true, true);
        Assert.Equal(copy, table);
        Assert.Equal(Regs(Get(copy, 0x4000_0001)), Regs(Get(leaves, 0x4000_0001)));
        Assert.Equal(Regs(Get(copy, 0x8000_0001)), Regs(Get(leaves, 0x8000_0001)));
        Assert.Equal(leaves.Length, leaves.Select(e => (e.Function, e.Index)).Distinct().Count());
    }
}
