using MiniVmm.HostNet.Steering;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet;

/// <summary>The virtio-net device and its TAP back end, as `--net tap=NAME,...` describes them (validated by the CLI).</summary>
public sealed record NetworkOptions
{
    /// <summary>The TAP interface: created (and removed at exit) if absent, attached to if present.</summary>
    public string? TapName { get; init; }

    /// <summary>Already-open TAP queue fds handed in by a privileged parent, instead of <see cref="TapName"/>.</summary>
    public IReadOnlyList<int>? Fds { get; init; }

    /// <summary>Queue pairs; null: one per vCPU (capped at 16 and at the TAP's queues).</summary>
    public int? Queues { get; init; }

    public MacAddress Mac { get; init; } = MacAddress.Default;

    /// <summary>Offer VIRTIO_NET_F_RSS.</summary>
    public bool Rss { get; init; } = true;

    /// <summary>Offer VIRTIO_NET_F_HASH_REPORT.</summary>
    public bool HashReport { get; init; } = true;

    public SteeringRequest Steering { get; init; } = SteeringRequest.Auto;
}
