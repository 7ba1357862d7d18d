namespace MiniVmm.IntegrationTests.Infrastructure;

/// <summary>A theory that needs a host device; see <see cref="HostFactAttribute"/>.</summary>
public sealed class HostTheoryAttribute : TheoryAttribute
{
    public HostTheoryAttribute(HostNeeds needs)
    {
        string? missing = HostRequirements.Missing(needs);
        if (missing is not null) Skip = $"skipped: {missing} is absent on this host";
    }
}
