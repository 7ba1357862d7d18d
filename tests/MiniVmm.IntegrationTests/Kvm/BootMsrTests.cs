using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Machine;
using MiniVmm.UnitTests.Fakes;

namespace MiniVmm.IntegrationTests.Kvm;

/// <summary>
/// The MSRs a firmware leaves set, read back with KVM_GET_MSRS from every vCPU of a freshly built machine.
/// Without them Linux logs "x86/PAT: MTRRs disabled, skipping PAT initialization too" and maps all of
/// RAM uncached by the MTRRs' say.
/// </summary>
public sealed class BootMsrTests
{
    private const uint Ia32MiscEnable = 0x1A0, Ia32MtrrDefType = 0x2FF; // SDM vol. 4, table 2-2

    [HostFact(HostNeeds.Kvm)]
    public void Every_vcpu_starts_with_mtrrs_enabled_write_back_and_fast_strings_on()
    {
        string kernel = TinyGuestImage.WriteTemporary("", exitValue: 0);
        try
        {
            using var machine = MiniVmm.Machine.Machine.Create(new MachineOptions
            {
                KernelPath = kernel, CpuCount = 2, MemoryBytes = 64UL << 20, SerialOutput = new MemoryStream(),
                ForwardStdin = false, HandleHostSignals = false,
            });
            foreach (var vcpu in machine.Vcpus)
            {
                var msrs = vcpu.GetMsrs([Ia32MtrrDefType, Ia32MiscEnable]);
                // IA32_MTRR_DEF_TYPE: E (bit 11) = MTRRs enabled, FE (bit 10) clear, type bits 7:0 = 6 (WB).
                Assert.Equal(0x806ul, msrs[0].Data);
                // IA32_MISC_ENABLE bit 0: fast-strings enable (what firmware sets on every CPU).
                Assert.Equal(1ul, msrs[1].Data & 1);
            }
        }
        finally
        {
            File.Delete(kernel);
        }
    }
}
