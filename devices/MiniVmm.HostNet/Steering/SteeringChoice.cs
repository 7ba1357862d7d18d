namespace MiniVmm.HostNet.Steering;

/// <summary>The back end chosen, and the one log line that says which and why.</summary>
public sealed record SteeringChoice(SteeringBackendKind Kind, string LogLine)
{
    /// <summary>True when the VMM hashes packets itself (for hash report, or for everything).</summary>
    public bool HashesInProcess { get; init; }

    /// <summary>The device offers VIRTIO_NET_F_HASH_REPORT: back ends that can fill the hash are asked to.</summary>
    public bool HashReport { get; init; }
}
