namespace MiniVmm.Machine;

/// <summary>What to build: validated by the CLI before a machine is created.</summary>
public sealed record MachineOptions
{
    public const ulong DefaultMemoryBytes = 512UL << 20;
    public const int MaxCpus = 64;

    public required string KernelPath { get; init; }
    public string? InitrdPath { get; init; }
    public string CommandLine { get; init; } = "";
    public int CpuCount { get; init; } = 1;
    public ulong MemoryBytes { get; init; } = DefaultMemoryBytes;

    /// <summary>Where the serial console's output goes; null means the process's stdout.</summary>
    public Stream? SerialOutput { get; init; }

    /// <summary>Forward the host terminal to the serial console (only if stdin is a terminal).</summary>
    public bool ForwardStdin { get; init; } = true;

    /// <summary>Stop on SIGINT/SIGTERM (the CLI wants it; tests running machines in-process do not).</summary>
    public bool HandleHostSignals { get; init; } = true;

    /// <summary>Guest RAM in a memfd (MAP_SHARED), so a vhost back end in another process can map it.</summary>
    public bool SharedMemory { get; init; }
}
