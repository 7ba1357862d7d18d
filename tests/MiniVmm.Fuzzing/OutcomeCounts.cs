namespace MiniVmm.Fuzzing;

/// <summary>Counts of how fuzz runs ended, by name, printed by `MiniVmm.Fuzzing random` and the CI pass.</summary>
public sealed class OutcomeCounts
{
    private readonly Dictionary<string, long> _counts = [];

    public void Add(string outcome) => _counts[outcome] = _counts.GetValueOrDefault(outcome) + 1;

    public long this[string outcome] => _counts.GetValueOrDefault(outcome);

    public override string ToString() => string.Join(", ", _counts.OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value}"));
}
