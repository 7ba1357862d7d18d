using MiniVmm.Native;
using MiniVmm.Native.Kvm;

namespace MiniVmm.Cli.Caps;

/// <summary>The KVM API version and the capabilities MiniVmm relies on (KVM_CHECK_EXTENSION).</summary>
public static class KvmCapsProbe
{
    private static readonly (string Name, KvmCapability Cap, bool IsCount)[] Used =
    [
        ("irqchip", KvmCapability.Irqchip, false),
        ("user_memory", KvmCapability.UserMemory, false),
        ("set_tss_addr", KvmCapability.SetTssAddr, false),
        ("pit2", KvmCapability.Pit2, false),
        ("ioeventfd", KvmCapability.IoEventFd, false),
        ("irqfd", KvmCapability.IrqFd, false),
        ("irq_routing", KvmCapability.IrqRouting, false),
        ("signal_msi", KvmCapability.SignalMsi, false),
        ("immediate_exit", KvmCapability.ImmediateExit, false),
        ("nr_vcpus", KvmCapability.NrVcpus, true),
        ("max_vcpus", KvmCapability.MaxVcpus, true),
    ];

    public static CapsSection Probe()
    {
        var items = new List<CapsItem>();
        try
        {
            using var kvm = Kvm.Kvm.Open();
            items.Add(CapsItem.Of("available", true));
            items.Add(CapsItem.Of("api_version", kvm.ApiVersion));
            foreach (var (name, cap, isCount) in Used)
            {
                int value = kvm.CheckExtension(cap);
                items.Add(isCount ? CapsItem.Of(name, value) : CapsItem.Of(name, value > 0));
            }
        }
        catch (Exception e) when (e is SyscallException or InvalidOperationException)
        {
            items.Clear();
            items.Add(CapsItem.Of("available", false));
            items.Add(CapsItem.Of("error", e.Message));
        }
        return new CapsSection("kvm", items);
    }
}
