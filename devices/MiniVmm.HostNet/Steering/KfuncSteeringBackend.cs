using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// eBPF steering with the hash stored by the program: the kfunc variant of our program
/// (<c>rss_steering_kfunc.bpf.o</c>), attached with TUNSETSTEERINGEBPF, picks each packet's queue
/// and hands the hash to the kernel through <see cref="SteeringKfuncs.SetVnetHash"/>, which writes it
/// into the 20-byte vnet header (TUNSETVNETHDRSZ 20). With an RSS_CONFIG the program is attached and
/// the ports report the stored hash; without steering (HASH_CONFIG only, or none) the program is
/// detached, the kernel steers by itself, and the ports hash in-process, as the hybrid back end does.
/// The kfunc exists in no kernel we can run.
/// </summary>
public sealed class KfuncSteeringBackend : ISteeringBackend
{
    private readonly ISteeringProgramAttachment _program;
    private readonly TapPort[] _ports;
    private readonly Lock _lock = new();
    private bool _attached;
    private bool _disposed;

    /// <param name="queues">The TAP's queues, already at 20-byte vnet headers.</param>
    /// <param name="program">The kfunc program variant and its TAP; owned from now on.</param>
    public KfuncSteeringBackend(IReadOnlyList<TapQueue> queues, ISteeringProgramAttachment program)
    {
        if (queues.FirstOrDefault(q => q.HeaderBytes != VirtioNetHeader.HashBytes) is TapQueue narrow)
        {
            throw new ArgumentException($"the kfunc stores the hash in 20-byte vnet headers; queue {narrow.Index} has {narrow.HeaderBytes}", nameof(queues));
        }
        _ports = queues.Select(q => new TapPort(q)).ToArray();
        _program = program;
    }

    /// <summary>Over a real TAP: sets TUNSETVNETHDRSZ 20 and takes the loaded kfunc program (disposed on failure).</summary>
    public static KfuncSteeringBackend Create(Tap tap, Bpf.RssSteeringProgram kfuncProgram)
    {
        var program = new TapSteeringProgram(tap, kfuncProgram);
        try
        {
            tap.SetVnetHeaderSize(Tap.VnetHashHeaderBytes);
            return new KfuncSteeringBackend(tap.Queues, program);
        }
        catch
        {
            program.Dispose();
            throw;
        }
    }

    public SteeringBackendKind Kind => SteeringBackendKind.EbpfKfuncs;

    /// <summary>True while the program is attached and stores the hash.</summary>
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
            // Packets already queued keep the header they were steered with; a batch or so reports
            // from the other source during the switch, never an unchecked value (the device checks).
            foreach (TapPort port in _ports) port.KernelFillsHash = _attached;
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
