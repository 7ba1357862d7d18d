namespace MiniVmm.Cli.SteerTest;

/// <summary>One frame the probe guest received: the queue it arrived on and the hash the device reported.</summary>
public readonly record struct ProbeRxEvent(int Queue, long FrameId, int Length, uint HashValue, int HashReport);
