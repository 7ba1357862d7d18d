using MiniVmm.HostNet.Steering;
using MiniVmm.HostNet.VhostNet;
using MiniVmm.Rss;

namespace MiniVmm.Cli.SteerTest;

/// <summary>The options of <c>minivmm steer-test</c> (declared in SteerTestCommand, which fills this in).</summary>
public sealed record SteerTestOptions
{
    public int Queues { get; init; } = 4;
    public int Frames { get; init; } = 1000;
    public SteeringRequest Steering { get; init; } = SteeringRequest.Auto;
    public bool HashReport { get; init; } = true;

    /// <summary>Whether the kernel's vhost-net may carry the probe's packets (--vhost; docs/VHOST.md).</summary>
    public VhostRequest Vhost { get; init; } = VhostRequest.Off;
    public byte[] Key { get; init; } = RssConfiguration.DefaultKey.ToArray();
    public VirtioNetHashTypes HashTypes { get; init; } = VirtioNetHashTypes.All;
    public ushort[]? Table { get; init; }
    public ushort Unclassified { get; init; }

    /// <summary>A second RSS configuration the probe sends at run time (then the flow set is sent again).</summary>
    public ushort[]? Table2 { get; init; }
    public byte[]? Key2 { get; init; }

    public string? TapName { get; init; }
    public string? ProbePath { get; init; }
    public int TimeoutSeconds { get; init; } = 120;

    /// <summary>A capture whose IPv4/IPv6 frames are sent instead of the built-in flow set (--replay), or null.</summary>
    public CaptureReplay? Replay { get; init; }
    public bool Json { get; init; }

    /// <summary>Run the probe's NIC over vhost-user, with the TAP and steering in a vhost-user-net back end.</summary>
    public bool VhostUser { get; init; }

    /// <summary>Which driver checks the device: the probe guest, or Linux's virtio_net in User-Mode Linux.</summary>
    public SteerTestGuest Guest { get; init; } = SteerTestGuest.Probe;

    public bool SecondPhase => Table2 is not null || Key2 is not null;

    /// <summary>The configuration of phase 1: the given table, or 128 entries spread over the queues.</summary>
    public RssConfiguration Phase1 => new()
    {
        HashTypes = HashTypes,
        Key = Key,
        IndirectionTable = Table ?? RssConfiguration.Spread(Queues).IndirectionTable,
        UnclassifiedQueue = Unclassified,
    };

    public RssConfiguration Phase2 => Phase1 with { Key = Key2 ?? Key, IndirectionTable = Table2 ?? Phase1.IndirectionTable };
}
