using MiniVmm.Bpf;
using MiniVmm.Native;
using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

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
    private readonly Tap _tap;
    private readonly RssSteeringProgram _program;
    private readonly object _lock = new();
    private bool _attached;

    /// <param name="program">The loaded program (from our object, or from fds a parent passed); owned from now on.</param>
    public HybridEbpfSteeringBackend(Tap tap, RssSteeringProgram program)
    {
        _tap = tap;
        _program = program;
    }

    public SteeringBackendKind Kind => SteeringBackendKind.EbpfHybrid;

    public IRxHashProvider? HashProvider => InProcessHashProvider.Instance;

    public bool Attached
    {
        get { lock (_lock) return _attached; }
    }

    public INetBackendQueue PortOf(int pair) => _tap.Queues[pair];

    public EventFd? WakeupOf(int pair) => null;

    public void Configure(RssConfiguration? configuration, int activePairs)
    {
        lock (_lock)
        {
            // TUNSETSTEERINGEBPF is per device: any queue fd sets it for all queues.
            FileDescriptor anyQueue = _tap.Queues[0].Handle;
            if (configuration is { SteeringEnabled: true })
            {
                _program.Configure(configuration);
                if (!_attached) _program.AttachTo(anyQueue);
                _attached = true;
            }
            else if (_attached)
            {
                RssSteeringProgram.DetachFrom(anyQueue);
                _attached = false;
            }
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_attached && !_tap.IsDisposed) RssSteeringProgram.DetachFrom(_tap.Queues[0].Handle);
            _attached = false;
            _program.Dispose();
        }
    }
}
