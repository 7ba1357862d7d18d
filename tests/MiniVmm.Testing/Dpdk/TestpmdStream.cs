namespace MiniVmm.Testing.Dpdk;

/// <summary>One forwarding stream's counters as testpmd prints them at `stop` (one stream per queue of port 0).</summary>
public sealed record TestpmdStream(int RxQueue, int TxQueue, ulong RxPackets, ulong TxPackets, ulong TxDropped);
