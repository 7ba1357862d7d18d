namespace MiniVmm.IntegrationTests.Infrastructure;

/// <summary>What an integration test needs from the host.</summary>
[Flags]
public enum HostNeeds
{
    None = 0,
    Kvm = 1,
    Tap = 2,
    Bpf = 4,
    Qemu = 8,
    /// <summary>Debian's user-mode-linux (/usr/bin/linux.uml), which build.sh installs.</summary>
    Uml = 16,
    /// <summary>DPDK's dpdk-testpmd (Debian's dpdk-dev), which build.sh installs: a third-party vhost-user back end.</summary>
    Dpdk = 32,
}
