namespace MiniVmm.Cli.Configuration;

/// <summary>The validated settings of <c>minivmm run</c>.</summary>
public sealed record RunSettings(
    string KernelPath,
    string? InitrdPath,
    string CommandLine,
    int CpuCount,
    ulong MemoryBytes,
    bool Debug,
    MiniVmm.HostNet.NetworkOptions? Net = null,
    string? ApiSocketPath = null);
