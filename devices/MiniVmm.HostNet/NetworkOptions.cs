using MiniVmm.HostNet.Steering;
using MiniVmm.HostNet.VhostNet;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet;

/// <summary>
/// The virtio-net device and its back end, as `--net` describes them (validated by the CLI): a TAP
/// (`tap=NAME` or `fds=LIST`) with this process's steering and, with `vhost=`, maybe the kernel's
/// vhost-net as the data path, or a vhost-user back end process (`vhost-user=PATH`), which owns the
/// TAP and the steering itself.
/// </summary>
public sealed record NetworkOptions
{
    /// <summary>The TAP interface: created (and removed at exit) if absent, attached to if present.</summary>
    public string? TapName { get; init; }

    /// <summary>Already-open TAP queue fds handed in by a privileged parent, instead of <see cref="TapName"/>.</summary>
    public IReadOnlyList<int>? Fds { get; init; }

    /// <summary>The socket of a vhost-user back end that carries the data path, instead of a TAP.</summary>
    public string? VhostUserPath { get; init; }

    /// <summary>With a vhost-user back end: how long to keep trying to reconnect after it went away (null: do not).</summary>
    public TimeSpan? Reconnect { get; init; }

    /// <summary>Queue pairs; null: one per vCPU (capped at 16 and at the TAP's queues, or at what the vhost-user back end serves).</summary>
    public int? Queues { get; init; }

    /// <summary>The guest's MAC; null: the default (or, over vhost-user, the back end's when it has a config space).</summary>
    public MacAddress? Mac { get; init; }

    /// <summary>Offer VIRTIO_NET_F_RSS.</summary>
    public bool Rss { get; init; } = true;

    /// <summary>Offer VIRTIO_NET_F_HASH_REPORT.</summary>
    public bool HashReport { get; init; } = true;

    public SteeringRequest Steering { get; init; } = SteeringRequest.Auto;

    /// <summary>With a TAP: whether the kernel's vhost-net carries the data rings (docs/VHOST.md).</summary>
    public VhostRequest Vhost { get; init; } = VhostRequest.Off;
}
