using MiniVmm.HostNet.Software;
using MiniVmm.Native;
using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// Software steering: the kernel spreads packets over the TAP queues by its own flow hash, and each
/// worker re-steers what is not for its pair (<see cref="SoftwareSteeredQueue"/>). Needs nothing
/// from the kernel. The hash is reported in-process.
/// </summary>
public sealed class SoftwareSteeringBackend : ISteeringBackend
{
    private readonly SteeringExchange _exchange;
    private readonly SoftwareSteeredQueue[] _ports;
    private RssConfiguration? _configuration;
    private int _activePairs;
    private int _generation;

    public SoftwareSteeringBackend(Tap tap)
    {
        _exchange = new SteeringExchange(tap.Queues.Count);
        _ports = tap.Queues.Select(q => new SoftwareSteeredQueue(q.Index, q, _exchange, this)).ToArray();
        _activePairs = tap.ActiveQueues;
    }

    public SteeringBackendKind Kind => SteeringBackendKind.Software;

    public IRxHashProvider? HashProvider => InProcessHashProvider.Instance;

    /// <summary>The configuration the workers steer by (swapped whole, read without a lock).</summary>
    public RssConfiguration? Configuration => Volatile.Read(ref _configuration);

    public int ActivePairs => Volatile.Read(ref _activePairs);

    /// <summary>Packets dropped because a target worker's hand-off ring was full.</summary>
    public long DroppedPackets => _exchange.DroppedPackets;

    public INetBackendQueue PortOf(int pair) => _ports[pair];

    public EventFd? WakeupOf(int pair) => _exchange.WakeupOf(pair);

    /// <summary>Bumped after every <see cref="Configure"/>: a hash computed under an older generation is not reused.</summary>
    public int Generation => Volatile.Read(ref _generation);

    public void Configure(RssConfiguration? configuration, int activePairs)
    {
        Volatile.Write(ref _activePairs, activePairs);
        Volatile.Write(ref _configuration, configuration);
        Interlocked.Increment(ref _generation);
    }

    public void Dispose() => _exchange.Dispose();
}
