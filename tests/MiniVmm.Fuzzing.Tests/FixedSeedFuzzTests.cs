namespace MiniVmm.Fuzzing.Tests;

/// <summary>
/// A fixed-seed, fixed-count pass of every target over mutations of its corpus (<see cref="Mutator"/>):
/// deterministic, so a run that passed once passes again; a failure prints the input in hex to save
/// under Crashes/TARGET. Each pass must also reach the target's deep outcome (packets delivered,
/// commands accepted, a device activated, frames hashed), or agreeing proves little.
/// </summary>
public sealed class FixedSeedFuzzTests(ITestOutputHelper output)
{
    private const int Seed = 20261204;

    public static TheoryData<string, int, string> Passes() => new()
    {
        { "queue", 30_000, "delivered True" },
        { "control", 30_000, "accepted 1" },
        { "vhost-user", 1_500, "activated, end of stream" },
        { "pci", 10_000, "activated" },
        { "rss", 20_000, "TcpV4" },
        { "rss-bpf", 10_000, "IPv6" },
    };

    [Fact]
    public void EveryTarget_HasAPass() =>
        Assert.Equal(FuzzTargets.Names.Order(), Passes().Select(row => (string)row[0]).Order());

    [Theory]
    [MemberData(nameof(Passes))]
    public void FixedSeedMutations_PassTheOracle(string name, int count, string deepOutcome)
    {
        using IFuzzTarget target = FuzzTargets.Create(name);
        byte[][] corpus = [.. FuzzRunner.Files(RepositoryPaths.Corpus(name)).Select(File.ReadAllBytes)];

        List<string> failures = FuzzRunner.RunMutations(target, corpus, Seed, count);

        output.WriteLine($"{name}: {count} mutations of {corpus.Length} corpus files (seed {Seed}); outcomes: {target.Outcomes}");
        Assert.True(failures.Count == 0, $"{name}: {string.Join("\n", failures)}");
        Assert.True(target.Outcomes[deepOutcome] > 0, $"{name}: no run ended '{deepOutcome}' ({target.Outcomes})");
    }
}
