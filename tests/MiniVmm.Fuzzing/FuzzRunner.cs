namespace MiniVmm.Fuzzing;

/// <summary>
/// Runs a target outside AFL: over files (a corpus, saved crashes) and over a fixed-seed, fixed-count
/// stream of mutations of its corpus. Both are what CI runs (tests/MiniVmm.Fuzzing.Tests) and what
/// `MiniVmm.Fuzzing replay|random` prints.
/// </summary>
public static class FuzzRunner
{
    /// <summary>The corpus (or crash) files of a directory, in name order; none if it does not exist.</summary>
    public static IReadOnlyList<string> Files(string directory) =>
        Directory.Exists(directory) ? [.. Directory.GetFiles(directory).Where(f => !Path.GetFileName(f).StartsWith('.')).Order(StringComparer.Ordinal)] : [];

    /// <summary>Runs every file; returns the failures as "file: message".</summary>
    public static List<string> Replay(IFuzzTarget target, IEnumerable<string> files)
    {
        var failures = new List<string>();
        foreach (string file in files)
        {
            string? failure = RunOne(target, File.ReadAllBytes(file));
            if (failure is not null) failures.Add($"{Path.GetFileName(file)}: {failure}");
        }
        return failures;
    }

    /// <summary>
    /// Runs <paramref name="count"/> mutations of the corpus (and of earlier mutations) from
    /// <paramref name="seed"/>; returns the failures with the input in hex, so a failure can be saved and replayed.
    /// </summary>
    public static List<string> RunMutations(IFuzzTarget target, IReadOnlyList<byte[]> corpus, int seed, int count, int maxBytes = 4096)
    {
        var failures = new List<string>();
        var pool = new List<byte[]>(corpus.Count == 0 ? [new byte[16]] : corpus);
        var mutator = new Mutator(seed, maxBytes);
        for (int i = 0; i < count; i++)
        {
            byte[] input = mutator.Mutate(mutator.Pick(pool), mutator.Pick(pool));
            string? failure = RunOne(target, input);
            if (failure is not null)
            {
                failures.Add($"mutation {i} (seed {seed}): {failure}\n  input {Convert.ToHexString(input)}");
                if (failures.Count >= 5) break;
            }
            else if (i % 8 == 0 && pool.Count < 4 * corpus.Count + 64)
            {
                pool.Add(input); // keep some passing inputs as parents: deeper mutations, still deterministic
            }
        }
        return failures;
    }

    private static string? RunOne(IFuzzTarget target, byte[] input)
    {
        try
        {
            target.Run(input);
            return null;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return e is OracleViolationException ? $"oracle: {e.Message}" : e.ToString();
        }
    }
}
