namespace MiniVmm.IntegrationTests.Infrastructure;

/// <summary>
/// A fact that needs a host device. It is skipped only when the device is truly absent on this
/// machine, and the skip reason says which one; on the project's machines (root, /dev/kvm,
/// /dev/net/tun, BPF) these tests always run.
/// </summary>
public sealed class HostFactAttribute : FactAttribute
{
    public HostFactAttribute(HostNeeds needs)
    {
        string? missing = HostRequirements.Missing(needs);
        if (missing is not null) Skip = $"skipped: {missing} is absent on this host";
    }
}
