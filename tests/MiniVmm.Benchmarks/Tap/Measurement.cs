namespace MiniVmm.Benchmarks.Tap;

/// <summary>One timed loop: packets per second of wall time, and CPU nanoseconds per packet.</summary>
public readonly record struct Measurement(double PacketsPerSecond, double CpuNsPerPacket);
