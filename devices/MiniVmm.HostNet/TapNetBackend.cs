using MiniVmm.HostNet.Steering;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet;

/// <summary>
/// A multiqueue TAP and the steering back end chosen for it, as one <see cref="INetBackend"/>:
/// TUNSETOFFLOAD at activation, TUNSETQUEUE for the receive pairs in use, then the steering back end.
/// Owns both.
/// </summary>
public sealed class TapNetBackend(Tap tap, ISteeringBackend steering, SteeringChoice choice) : INetBackend
{
    public Tap Tap => tap;

    public ISteeringBackend Steering => steering;

    /// <summary>Which back end steers, and the one log line that says why.</summary>
    public SteeringChoice Choice => choice;

    public int QueuePairs => tap.Queues.Count;

    public IPairPort PortOf(int pair) => steering.PortOf(pair);

    public void Activate(ulong negotiatedFeatures) => tap.SetOffloads(GuestOffloads.ToTunOffloads(negotiatedFeatures));

    public void Apply(SteeringState state)
    {
        // Attach before configuring: a BPF program or tun's RSS then never names a detached queue.
        tap.SetActiveQueues(Math.Clamp(state.Pairs, 1, tap.Queues.Count));
        steering.Apply(state);
    }

    public void Dispose()
    {
        steering.Dispose();
        tap.Dispose();
    }
}
