using MiniVmm.HostNet.Software;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// Software steering: the kernel spreads packets over the TAP queues by its own flow hash, and each
/// worker re-steers what is not for its pair (<see cref="SoftwareSteeredPort"/>). Needs nothing
/// from the kernel. The hash is reported in-process, from the steering pass.
/// </summary>
public sealed class SoftwareSteeringBackend : ISteeringBackend
{
    private readonly SteeringExchange _exchange;
    private readonly SoftwareSteeredPort[] _ports;
    private SteeringState _state = SteeringState.Initial;

    /// <param name="ringBytes">Each destination's hand-over ring (tests make it small).</param>
    public SoftwareSteeringBackend(Tap tap, int ringBytes = SteeringExchange.DefaultRingBytes)
    {
        _exchange = new SteeringExchange(tap.Queues.Count, ringBytes);
        _ports = tap.Queues.Select(q => new SoftwareSteeredPort(q.Index, q, _exchange, this)).ToArray();
    }

    public SteeringBackendKind Kind => SteeringBackendKind.Software;

    /// <summary>The steering the workers follow: configuration, pairs and generation in one value, swapped whole.</summary>
    public SteeringState State => Volatile.Read(ref _state);

    /// <summary>Packets dropped for any destination (its ring full while its guest had no buffers, or too large).</summary>
    public long DroppedPackets => _exchange.DroppedPackets;

    /// <summary>Packets handed to one destination pair by the workers (and kept by its own while its guest had no buffers).</summary>
    public long HandedOverTo(int pair) => _exchange.HandedOverTo(pair);

    /// <summary>Packets dropped for one destination pair.</summary>
    public long DroppedFor(int pair) => _exchange.DroppedFor(pair);

    /// <summary>Packets dropped for one destination pair for one reason.</summary>
    public long DroppedFor(int pair, HandOverDropReason reason) => _exchange.DroppedFor(pair, reason);

    public IPairPort PortOf(int pair) => _ports[pair];

    public void Apply(SteeringState state) => Volatile.Write(ref _state, state);

    public void Dispose() => _exchange.Dispose();
}
