namespace MiniVmm.UnitTests.VhostUser;

/// <summary>
/// Tests that count this process's descriptors and mappings before and after: they run alone,
/// after the parallel ones, so no other test opens or closes anything meanwhile.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class LeakCheckCollection
{
    public const string Name = "leak checks (not parallel)";
}
