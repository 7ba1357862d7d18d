namespace MiniVmm.IntegrationTests.Infrastructure;

/// <summary>Checks for the host devices tests need; names the first one missing.</summary>
public static class HostRequirements
{
    public static string? Missing(HostNeeds needs)
    {
        if (needs.HasFlag(HostNeeds.Kvm) && !File.Exists("/dev/kvm")) return "/dev/kvm";
        if (needs.HasFlag(HostNeeds.Tap) && !File.Exists("/dev/net/tun")) return "/dev/net/tun";
        if (needs.HasFlag(HostNeeds.Bpf) && !Directory.Exists("/sys/fs/bpf") && !File.Exists("/sys/kernel/btf/vmlinux")) return "BPF support";
        if (needs.HasFlag(HostNeeds.Qemu) && !File.Exists("/usr/bin/qemu-system-x86_64")) return "qemu-system-x86_64";
        if (needs.HasFlag(HostNeeds.Uml) && !File.Exists("/usr/bin/linux.uml")) return "/usr/bin/linux.uml (user-mode-linux)";
        if (needs.HasFlag(HostNeeds.Dpdk) && !File.Exists(MiniVmm.Testing.Dpdk.Testpmd.Binary)) return $"{MiniVmm.Testing.Dpdk.Testpmd.Binary} (dpdk-dev)";
        return null;
    }
}
