namespace MiniVmm.Fuzzing.Tests;

/// <summary>
/// Every target's seed corpus and saved crashes (tests/MiniVmm.Fuzzing/Corpus and Crashes) through the
/// target with its oracle, as `MiniVmm.Fuzzing replay TARGET` runs them: what the fuzzer once found
/// stays found. A crash saved by ./build.sh fuzz fails here until the bug (or the oracle) is fixed.
/// </summary>
public sealed class FuzzCorpusReplayTests(ITestOutputHelper output)
{
    public static TheoryData<string> Targets() => new(FuzzTargets.Names);

    [Theory]
    [MemberData(nameof(Targets))]
    public void CorpusAndSavedCrashes_PassTheOracle(string name)
    {
        using IFuzzTarget target = FuzzTargets.Create(name);
        IReadOnlyList<string> corpus = FuzzRunner.Files(RepositoryPaths.Corpus(name));
        IReadOnlyList<string> crashes = FuzzRunner.Files(RepositoryPaths.Crashes(name));
        Assert.True(corpus.Count > 0, $"{name} has no corpus in {RepositoryPaths.Corpus(name)}");

        List<string> failures = FuzzRunner.Replay(target, [.. corpus, .. crashes]);

        output.WriteLine($"{name}: {corpus.Count} corpus files, {crashes.Count} saved crashes; outcomes: {target.Outcomes}");
        Assert.True(failures.Count == 0, $"{name}: {failures.Count} inputs fail:\n{string.Join("\n", failures.Take(5))}");
    }
}
