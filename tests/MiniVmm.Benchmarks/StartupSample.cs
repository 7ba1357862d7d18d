namespace MiniVmm.Benchmarks;

/// <summary>
/// What one measured `minivmm run` gave: ms to the first serial byte, ms to "probe: ready" (NIC
/// runs only), the memory reading, and the best-effort late reading at "probe: net none".
/// </summary>
public sealed record StartupSample(double FirstByteMs, double? ReadyMs, StartupMemory Memory, StartupMemory? Late);
