namespace MiniVmm.Control.Protocol;

/// <summary>Transmit side: packets and bytes (frames without the virtio header) sent to the back end, notifications the driver asked for, drops by reason.</summary>
public sealed record TxCountersInfo
{
    public required ulong Packets { get; init; }
    public required ulong Bytes { get; init; }
    public required ulong Notifications { get; init; }
    public required ulong Dropped { get; init; }
    public required TxDropsInfo Drops { get; init; }
}
