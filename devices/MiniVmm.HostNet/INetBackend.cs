using MiniVmm.HostNet.Steering;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet;

/// <summary>
/// The host side of one NIC as its runtime drives it: a port per queue pair, the offloads the guest
/// can take, and where received packets go. <see cref="TapNetBackend"/> (a TAP and a steering back
/// end) in production; fakes in tests.
/// </summary>
public interface INetBackend : IDisposable
{
    /// <summary>Queue pairs the back end has ports for.</summary>
    int QueuePairs { get; }

    /// <summary>Which steering back end steers and the one log line that says why; null for a back end without one (fakes).</summary>
    SteeringChoice? Choice { get; }

    IPairPort PortOf(int pair);

    /// <summary>The driver accepted these features: let the host hand over only the offloads the guest can take.</summary>
    void Activate(ulong negotiatedFeatures);

    /// <summary>Steer as <paramref name="state"/> says (queues attached, steering back end configured). Throws on a host failure.</summary>
    void Apply(SteeringState state);
}
