using MiniVmm.Kvm;

namespace MiniVmm.Cli.Caps;

/// <summary>
/// Whether ring-0 guest code runs natively or is emulated: under KVM's PVM mode (kvm_pvm module)
/// only ring-3 guest code runs natively, and a stock kernel crawls (see docs/LINUX.md).
/// </summary>
public static class GuestExecutionProbe
{
    public static CapsSection Probe()
    {
        bool pvm = KvmHost.RingZeroEmulated;
        return new CapsSection("guest_execution",
        [
            CapsItem.Of("kvm_mode", KvmHost.ExecutionMode.ToString().ToLowerInvariant()),
            CapsItem.Of("pvm", pvm),
            CapsItem.Of("ring0_emulated", pvm),
            CapsItem.Of("cpuid_hidden", pvm ? "cx16 (lock cmpxchg16b cannot be emulated in ring 0)" : "none"),
        ]);
    }
}
