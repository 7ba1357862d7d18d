namespace MiniVmm.Control.Protocol;

/// <summary>
/// Receive drops by reason: larger than anything the guest's ring can hold (§5.1.6.3.1), an offload
/// the guest did not negotiate (§5.1.6.4.1), a packet the back end could not give whole.
/// </summary>
public sealed record RxDropsInfo(ulong NeverFits, ulong Offloads, ulong Backend);
