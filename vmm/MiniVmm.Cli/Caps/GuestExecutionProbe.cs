namespace MiniVmm.Cli.Caps;

/// <summary>
/// Whether ring-0 guest code runs natively or is emulated: under KVM's PVM mode (kvm_pvm module)
/// only ring-3 guest code runs natively, and a stock kernel crawls (see ENVIRONMENT.md).
/// </summary>
public static class GuestExecutionProbe
{
    public static CapsSection Probe()
    {
        bool pvm = Directory.Exists("/sys/module/kvm_pvm");
        bool vmx = Directory.Exists("/sys/module/kvm_intel"), svm = Directory.Exists("/sys/module/kvm_amd");
        string mode = pvm ? "pvm" : vmx ? "vmx" : svm ? "svm" : "unknown";
        return new CapsSection("guest_execution",
        [
            CapsItem.Of("kvm_mode", mode),
            CapsItem.Of("pvm", pvm),
            CapsItem.Of("ring0_emulated", pvm),
        ]);
    }
}
