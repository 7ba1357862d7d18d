namespace MiniVmm.Control.Protocol;

/// <summary>One queue pair's counters (receiveq k+1 and transmitq k+1).</summary>
public sealed record PairCountersInfo(int Pair, RxCountersInfo Rx, TxCountersInfo Tx);
