namespace MiniVmm.HostNet.Steering;

/// <summary>One capability probe's answer and the short reason behind it (what the kernel said).</summary>
public readonly record struct ProbeResult(bool Available, string Reason)
{
    public static ProbeResult Yes(string reason) => new(true, reason);

    public static ProbeResult No(string reason) => new(false, reason);

    public override string ToString() => $"{(Available ? "yes" : "no")} ({Reason})";
}
