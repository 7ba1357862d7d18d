namespace MiniVmm.Control.Protocol;

/// <summary>The answer to counters: one entry per queue pair the device has, counted since the VMM started (a reset keeps them).</summary>
public sealed record CountersInfo(IReadOnlyList<PairCountersInfo> Pairs);
