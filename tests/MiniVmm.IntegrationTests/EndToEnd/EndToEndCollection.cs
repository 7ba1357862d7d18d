namespace MiniVmm.IntegrationTests.EndToEnd;

/// <summary>VM tests run one at a time: each boots a guest and saturates a core while it polls.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class EndToEndCollection
{
    public const string Name = "end-to-end";
}
