using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// eBPF steering with in-process hash report: our BPF program, attached with TUNSETSTEERINGEBPF,
/// puts each packet on the TAP queue the guest's RSS table names, so worker k only ever sees pair
/// k's packets; the VMM computes just the hash value for the header (QEMU drops eBPF instead).
/// Without RSS steering (no RSS_CONFIG, or HASH_CONFIG only) the program is detached and the
/// kernel's default queue choice applies.
/// </summary>
public sealed class HybridEbpfSteeringBackend : ISteeringBackend
{
    private readonly TapPort[] _ports;
    private readonly ISteeringProgramAttachment _program;
    private readonly Lock _lock = new();
    private bool _attached;
    private bool _disposed;

    /// <param name="program">The plain steering program and its TAP; owned from now on.</param>
    public HybridEbpfSteeringBackend(IReadOnlyList<TapQueue> queues, ISteeringProgramAttachment program)
    {
        _ports = queues.Select(q => new TapPort(q)).ToArray();
        _program = program;
    }

    public SteeringBackendKind Kind => SteeringBackendKind.EbpfHybrid;

    /// <summary>True while the program is attached and picks every packet's queue.</summary>
    public bool Attached
    {
        get { lock (_lock) return _attached; }
    }

    public IPairPort PortOf(int pair) => _ports[pair];

    public void Apply(SteeringState state)
    {
        lock (_lock)
        {
            if (_disposed) return;
            _attached = ProgramSteering.Apply(_program, _attached, state);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            ProgramSteering.Release(_program, _attached);
            _attached = false;
        }
    }
}
