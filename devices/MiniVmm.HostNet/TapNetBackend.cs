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
    /// <summary>
    /// Opens the TAP `--net` names (created, attached to, or adopted from fds), probes the host and
    /// builds the steering back end it asks for. Only queue 0 is attached until the guest asks for
    /// more pairs (§5.1.6.5.5). Throws TapException or SteeringUnavailableException with one clear
    /// line; nothing is left behind then.
    /// </summary>
    /// <param name="defaultPairs">Queue pairs when `queues=` is not given (one per vCPU for `run`).</param>
    public static TapNetBackend Open(NetworkOptions options, int defaultPairs, ISteeringCapabilities? capabilities = null)
    {
        int pairs = options.Queues ?? Math.Clamp(defaultPairs, 1, VirtioNetOptions.MaxQueuePairsLimit);
        Tap tap = options.Fds is { Count: > 0 } fds ? Tap.Adopt(fds) : Tap.CreateOrAttach(options.TapName!, pairs);
        ISteeringBackend? steering = null;
        using var bpf = new BpfSteeringProbe();
        try
        {
            capabilities ??= options.Steering == SteeringRequest.Software
                ? new UnprobedSteeringCapabilities()
                : new KernelSteeringCapabilities(bpf);
            SteeringChoice choice = SteeringSelector.Choose(options.Steering, capabilities, options.HashReport);
            steering = SteeringBackends.Create(choice, tap, bpf.TakeProgram);
            tap.SetActiveQueues(1);
            return new TapNetBackend(tap, steering, choice) { Capabilities = capabilities };
        }
        catch
        {
            steering?.Dispose();
            tap.Dispose();
            throw;
        }
    }

    /// <summary>The device options `--net` asks for over this back end (every offload a TAP with vnet headers can do).</summary>
    public VirtioNetOptions DeviceOptions(NetworkOptions options) => new()
    {
        QueuePairs = QueuePairs,
        Mac = options.Mac ?? MacAddress.Default,
        Rss = options.Rss,
        HashReport = options.HashReport,
        BackendOffloads = NetOffloads.All,
    };

    public Tap Tap => tap;

    public ISteeringBackend Steering => steering;

    /// <summary>Which back end steers, and the one log line that says why.</summary>
    public SteeringChoice Choice => choice;

    /// <summary>The probe answers the choice was made from (null when built without probing).</summary>
    public ISteeringCapabilities? Capabilities { get; init; }

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
