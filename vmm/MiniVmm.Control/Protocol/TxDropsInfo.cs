namespace MiniVmm.Control.Protocol;

/// <summary>
/// Transmit drops by reason: a chain longer than the largest frame, an offload the driver did not
/// negotiate (§5.1.6.2.1), a packet the back end refused.
/// </summary>
public sealed record TxDropsInfo(ulong Oversized, ulong Offloads, ulong Backend);
