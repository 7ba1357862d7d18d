namespace MiniVmm.HostNet.VhostNet;

/// <summary>The data path chosen at DRIVER_OK and why, as the one line the VMM prints for it.</summary>
public sealed record DataPathChoice(DataPathKind Kind, string Reason)
{
    public string LogLine => $"data path: {(Kind == DataPathKind.VhostNet ? "vhost-net" : "in-process")} ({Reason})";
}
