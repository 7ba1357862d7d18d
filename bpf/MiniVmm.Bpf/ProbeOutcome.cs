namespace MiniVmm.Bpf;

/// <summary>What a probe found: whether the mechanism works here, and one line saying why.</summary>
public sealed record ProbeOutcome(bool Available, string Detail)
{
    public override string ToString() => $"{(Available ? "yes" : "no")} ({Detail})";
}
