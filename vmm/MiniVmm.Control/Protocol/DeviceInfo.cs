namespace MiniVmm.Control.Protocol;

/// <summary>The answer to info: what the device offered and the driver accepted, its state, queue pairs, address, link and steering.</summary>
public sealed record DeviceInfo
{
    /// <summary>The NIC's name in logs and thread names ("net0").</summary>
    public required string Name { get; init; }

    public required FeaturesInfo Features { get; init; }

    public required DeviceStatusInfo Status { get; init; }

    public required QueuePairsInfo QueuePairs { get; init; }

    /// <summary>"52:54:00:12:34:56".</summary>
    public required string Mac { get; init; }

    /// <summary>VIRTIO_NET_S_LINK_UP as the device reports it (§5.1.4).</summary>
    public required bool LinkUp { get; init; }

    /// <summary>The steering back end and why it was chosen; null when the back end has none.</summary>
    public SteeringInfo? Steering { get; init; }
}
