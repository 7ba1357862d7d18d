using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// A steering back end (the table in README.md and docs/STEERING.md): the port each queue pair reads and writes,
/// and what it does when the guest changes where packets go. Who hashes for the report is each
/// port's business (<see cref="INetBackendQueue.HashOf"/>): one path for every back end.
/// </summary>
public interface ISteeringBackend : IDisposable
{
    SteeringBackendKind Kind { get; }

    /// <summary>The port of queue pair <paramref name="pair"/>.</summary>
    IPairPort PortOf(int pair);

    /// <summary>
    /// The guest's steering changed (one call per accepted control command; <see cref="SteeringState.Initial"/>
    /// at activation and reset). The TAP's attached queues already match <see cref="SteeringState.Pairs"/>.
    /// Throws on a host failure (a BPF map update, an ioctl); the caller then restores the previous state.
    /// </summary>
    void Apply(SteeringState state);
}
