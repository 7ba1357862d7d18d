namespace MiniVmm.Control.Protocol;

/// <summary>
/// Receive side: packets and bytes (frames without the virtio header) delivered to the guest, used
/// buffer notifications the driver asked for (interrupts), drops by reason (each drop counted once,
/// <see cref="Dropped"/> is their sum), back-end read errors, and hash reports downgraded to NONE.
/// </summary>
public sealed record RxCountersInfo
{
    public required ulong Packets { get; init; }
    public required ulong Bytes { get; init; }
    public required ulong Notifications { get; init; }
    public required ulong Dropped { get; init; }
    public required RxDropsInfo Drops { get; init; }
    public required ulong BackendErrors { get; init; }
    public required ulong HashReportsRejected { get; init; }
}
