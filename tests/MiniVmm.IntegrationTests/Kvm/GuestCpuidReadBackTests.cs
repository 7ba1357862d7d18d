using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Machine;
using MiniVmm.Native.Kvm;
using MiniVmm.UnitTests.Fakes;

namespace MiniVmm.IntegrationTests.Kvm;

/// <summary>
/// What MiniVmm set with KVM_SET_CPUID2, read back with KVM_GET_CPUID2 from real KVM: the kernel kept it.
/// (This 6.18 host's own table already has HYPERVISOR and TSC-deadline; the synthetic pre-6.14 tables in
/// GuestCpuidTests are what show MiniVmm adding them.)
/// </summary>
public sealed class GuestCpuidReadBackTests
{
    [HostFact(HostNeeds.Kvm)]
    public void Every_vcpu_reads_back_its_apic_id_the_vm_topology_and_the_hypervisor_bit()
    {
        string kernel = TinyGuestImage.WriteTemporary("", exitValue: 0);
        try
        {
            using var machine = MiniVmm.Machine.Machine.Create(new MachineOptions
            {
                KernelPath = kernel, CpuCount = 3, MemoryBytes = 64UL << 20, SerialOutput = new MemoryStream(),
                ForwardStdin = false, HandleHostSignals = false,
            });
            using var kvm = MiniVmm.Kvm.Kvm.Open();
            bool tscDeadline = kvm.CheckExtension(KvmCapability.TscDeadlineTimer) != 0;
            foreach (var vcpu in machine.Vcpus)
            {
                KvmCpuidEntry2[] leaves = vcpu.GetCpuid();
                KvmCpuidEntry2 leaf1 = Assert.Single(leaves, e => e.Function == 1);
                Assert.Equal((uint)vcpu.Id, leaf1.Ebx >> 24);
                Assert.Equal(3u, (leaf1.Ebx >> 16) & 0xFF);
                Assert.Equal(1u, leaf1.Ecx >> 31);
                Assert.Equal(tscDeadline ? 1u : 0u, (leaf1.Ecx >> 24) & 1);
                KvmCpuidEntry2 core = Assert.Single(leaves, e => e.Function == 0xB && e.Index == 1);
                Assert.Equal((2u, 3u, 0x201u, (uint)vcpu.Id), (core.Eax & 0x1F, core.Ebx & 0xFFFF, core.Ecx & 0xFFFF, core.Edx));
            }
        }
        finally
        {
            File.Delete(kernel);
        }
    }
}
