namespace MiniVmm.Control.Protocol;

/// <summary>Queue pairs the device has (max_virtqueue_pairs) and receive pairs in use now (VQ_PAIRS_SET or the RSS table; 1 after reset).</summary>
public sealed record QueuePairsInfo(int Max, int InUse);
