using MiniVmm.Bpf;
using MiniVmm.Native;
using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// eBPF steering with the hash stored by the program: the kfunc variant of our program
/// (<c>rss_steering_kfunc.bpf.o</c>), attached with TUNSETSTEERINGEBPF, picks each packet's queue
/// and hands the hash to the kernel through <see cref="SteeringKfuncs.SetVnetHash"/>, which writes it
/// into the 20-byte vnet header (TUNSETVNETHDRSZ 20). Re-evaluated on every configuration: with an
/// RSS_CONFIG the program is attached and the device copies the stored hash; without steering
/// (HASH_CONFIG only, or none) the program is detached, the kernel steers by itself, and the device
/// hashes in-process (<see cref="HashProvider"/>) for the report, as the hybrid back end does.
/// The kfunc exists in no kernel we can run.
/// </summary>
public sealed class KfuncSteeringBackend : ISteeringBackend
{
    private readonly ISteeringProgramAttachment _program;
    private readonly HashFilledQueue[] _ports;
    private readonly Lock _lock = new();
    private bool _attached;
    private bool _disposed;

    /// <param name="queues">The TAP's queues, already at 20-byte vnet headers.</param>
    /// <param name="program">The kfunc program variant and its TAP; owned from now on.</param>
    public KfuncSteeringBackend(IReadOnlyList<INetBackendQueue> queues, ISteeringProgramAttachment program)
    {
        _ports = queues.Select(q => new HashFilledQueue(q, hashFilled: false)).ToArray();
        _program = program;
    }

    /// <summary>Over a real TAP: sets TUNSETVNETHDRSZ 20 and takes the loaded kfunc program (disposed on failure).</summary>
    public static KfuncSteeringBackend Create(Tap tap, RssSteeringProgram kfuncProgram)
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

    /// <summary>Used only while the program is detached (no steering configuration): ports then say "hash unfilled".</summary>
    public IRxHashProvider? HashProvider => InProcessHashProvider.Instance;

    /// <summary>True while the program is attached and stores the hash.</summary>
    public bool Attached
    {
        get { lock (_lock) return _attached; }
    }

    public INetBackendQueue PortOf(int pair) => _ports[pair];

    public EventFd? WakeupOf(int pair) => null;

    public void Configure(RssConfiguration? configuration, int activePairs)
    {
        lock (_lock)
        {
            if (_disposed) return;
            bool steer = configuration is { SteeringEnabled: true };
            if (steer)
            {
                _program.Configure(configuration!);
                if (!_attached) _program.Attach();
                _attached = true;
            }
            else if (_attached)
            {
                _program.Detach();
                _attached = false;
            }
            // Packets already queued keep the header they were steered with; a batch or so reports
            // from the other source during the switch, never an unchecked value (the device checks).
            foreach (HashFilledQueue port in _ports) port.HashFilled = steer;
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            try
            {
                if (_attached) _program.Detach();
            }
            catch (SyscallException) { }
            finally
            {
                _attached = false;
                _program.Dispose();
            }
        }
    }
}
