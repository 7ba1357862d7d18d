using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.Native;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Testing;

/// <summary>A host back end of <see cref="FakePairPort"/>s that records activations and steering changes, and can fail them.</summary>
public sealed class FakeNetBackend(int pairs) : INetBackend
{
    private readonly object _lock = new();
    private readonly List<SteeringState> _applied = [];

    public FakePairPort[] Ports { get; } = Enumerable.Range(0, pairs).Select(_ => new FakePairPort()).ToArray();

    public int QueuePairs => Ports.Length;

    /// <summary>The steering choice reported as this back end's (none unless a test sets one).</summary>
    public SteeringChoice? Choice { get; init; }

    public int Activations { get; private set; }

    /// <summary>When set, Apply throws a SyscallException with this errno (as a failing TUNSETQUEUE would).</summary>
    public int? FailApplyErrno { get; set; }

    public IReadOnlyList<SteeringState> Applied
    {
        get { lock (_lock) return [.. _applied]; }
    }

    public IPairPort PortOf(int pair) => Ports[pair];

    public void Activate(ulong negotiatedFeatures) => Activations++;

    public void Apply(SteeringState state)
    {
        if (FailApplyErrno is int errno) throw new SyscallException("TUNSETQUEUE", errno);
        lock (_lock) _applied.Add(state);
    }

    public void Dispose()
    {
        foreach (FakePairPort port in Ports) port.Dispose();
    }
}
