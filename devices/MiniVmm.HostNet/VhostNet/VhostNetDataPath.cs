using MiniVmm.HostNet.VhostFrontEnd;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.VhostUser.FrontEnd;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet.VhostNet;

/// <summary>
/// The kernel's vhost-net as the data path of a TAP NIC (`--net tap=...,vhost=on|auto`), for the
/// device's <see cref="NetDeviceRuntime"/>: at each DRIVER_OK it picks the data path from the negotiated
/// features (<see cref="VhostNetSelector"/>) and prints the one line that says which and why. With
/// vhost-net it sets the kernel up (features, memory table, the TAP's vnet header size to what vhost-net
/// passes through) and the runtime hands it the data rings instead of starting pair workers
/// (<see cref="VhostRingSet"/>: kick = the queue's KVM ioeventfd, call = its vector's irqfd); the control
/// queue stays with the runtime's worker, and VQ_PAIRS_SET becomes TAP queue attaches there and ring
/// enables here. Calls are serialised by its own lock: the runtime calls it from the vCPU thread and
/// from the control queue's worker.
/// </summary>
public sealed class VhostNetDataPath : IDisposable
{
    private readonly object _lock = new();
    private readonly string _name;
    private readonly VhostNetBackend? _backend;
    private readonly Action<int> _setTapHeaderBytes;
    private readonly Action<string> _log;
    private readonly EventFd _noVector = new();
    private readonly int _steeringHeaderBytes;
    private int _tapHeaderBytes;
    private VhostRingSet? _rings;
    private IReadOnlyList<SharedMemoryRegion> _regions = [];
    private IReadOnlyList<FileDescriptor> _kicks = [];
    private Func<int, FileDescriptor?> _callOfVector = _ => null;
    private DataPathChoice? _choice;
    private string? _lastLine;
    private int _pairs = 1;
    private bool _disposed;

    /// <param name="backend">The opened vhost-net fds, owned from now on; null when they did not open (then every choice is in-process).</param>
    /// <param name="tapHeaderBytes">The TAP's TUNSETVNETHDRSZ as the steering back end set it (what the in-process ports read).</param>
    /// <param name="setTapHeaderBytes">TUNSETVNETHDRSZ on the TAP.</param>
    public VhostNetDataPath(string name, VhostNetConditions conditions, VhostNetBackend? backend, int tapHeaderBytes, Action<int> setTapHeaderBytes, Action<string> log)
    {
        if (conditions.Device.Available && backend is null) throw new ArgumentException("vhost-net is available but no back end was given", nameof(backend));
        _name = name;
        Conditions = conditions;
        _backend = conditions.Device.Available ? backend : null;
        _steeringHeaderBytes = _tapHeaderBytes = tapHeaderBytes;
        _setTapHeaderBytes = setTapHeaderBytes;
        _log = log;
    }

    public VhostNetConditions Conditions { get; }

    /// <summary>The choice made at the last DRIVER_OK (null before the first).</summary>
    public DataPathChoice? Choice
    {
        get { lock (_lock) return _choice; }
    }

    /// <summary>True while the kernel holds some of the device's rings.</summary>
    public bool RingsWithKernel
    {
        get { lock (_lock) return _rings?.AnyStarted == true; }
    }

    /// <summary>What `run` prints at start, after the steering line: the request and what is known before DRIVER_OK.</summary>
    public string Summary => Conditions.Requested switch
    {
        VhostRequest.On => $"vhost=on: vhost-net carries the data rings from DRIVER_OK ({Conditions.Device.Reason})",
        _ => $"vhost={VhostNetSelector.Name(Conditions.Requested)}: the data path is chosen when the guest sets DRIVER_OK (vhost-net: {Conditions.Device})",
    };

    /// <summary>The device whose rings go to the kernel (the runtime that owns it calls this once).</summary>
    public void Attach(VirtioNetDevice device)
    {
        lock (_lock)
        {
            if (_rings is not null) throw new InvalidOperationException("already attached to a device");
            if (_backend is not null) _rings = new VhostRingSet(device, _backend);
        }
    }

    /// <summary>Guest RAM as vhost-net takes it, each queue's kick eventfd, and the irqfd eventfd of each MSI-X vector (null: none).</summary>
    public void Bind(IReadOnlyList<SharedMemoryRegion> regions, IReadOnlyList<FileDescriptor> kicks, Func<int, FileDescriptor?> callOfVector)
    {
        lock (_lock)
        {
            _regions = regions;
            _kicks = kicks;
            _callOfVector = callOfVector;
        }
    }

    /// <summary>
    /// DRIVER_OK: chooses the data path, prints its line (when it differs from the last one) and, for
    /// vhost-net, sets the kernel up: VHOST_SET_FEATURES, VHOST_SET_MEM_TABLE and the TAP's vnet header
    /// size. True when the kernel is to carry the rings; false (in-process) otherwise, also when the
    /// kernel refuses the set-up, which is logged.
    /// </summary>
    public bool Activate(ulong negotiatedFeatures)
    {
        lock (_lock)
        {
            _pairs = 1; // §5.1.6.5.5: after reset only receiveq1
            DataPathChoice choice = VhostNetSelector.Choose(Conditions, negotiatedFeatures);
            if (choice.Kind == DataPathKind.VhostNet && _backend is not null)
            {
                try
                {
                    _backend.SetFeatures(negotiatedFeatures & _backend.Features);
                    _backend.SetMemoryTable(_regions);
                    // vhost-net copies the TAP's vnet header as the guest's: they must have one size (virtio 1.2 §5.1.6).
                    SetTapHeaderBytes((negotiatedFeatures & VirtioFeature.Bit(VirtioNetFeature.HashReport)) != 0 ? VirtioNetHeader.HashBytes : VirtioNetHeader.Bytes);
                }
                catch (Exception e) when (e is VhostBackendException or ArgumentException or SyscallException)
                {
                    choice = new DataPathChoice(DataPathKind.InProcess, $"vhost={VhostNetSelector.Name(Conditions.Requested)}: vhost-net refused the set-up: {e.Message}");
                }
            }
            if (choice.Kind == DataPathKind.InProcess) SetTapHeaderBytes(_steeringHeaderBytes);
            _choice = choice;
            if (choice.LogLine != _lastLine) _log($"{_name}: {choice.LogLine}");
            _lastLine = choice.LogLine;
            return choice.Kind == DataPathKind.VhostNet;
        }
    }

    /// <summary>Hands the enabled data rings to the kernel, the first <see cref="SetPairs"/> pairs enabled. Throws VhostBackendException.</summary>
    public void StartRings()
    {
        lock (_lock)
        {
            if (_disposed || _rings is null || _choice?.Kind != DataPathKind.VhostNet) return;
            _rings.Start(_kicks, _callOfVector, _noVector.Handle, _pairs);
        }
    }

    /// <summary>Takes every ring back (VHOST_NET_SET_BACKEND -1, GET_VRING_BASE); the queues resume from the kernel's indices.</summary>
    public void StopRings(IGuestMemory memory)
    {
        lock (_lock)
        {
            _rings?.Stop(memory, line => _log($"{_name}: {line}"));
        }
    }

    /// <summary>The receive pairs in use (VQ_PAIRS_SET or RSS): the kernel serves the rings of these pairs only. Throws VhostBackendException.</summary>
    public void SetPairs(int pairs)
    {
        lock (_lock)
        {
            _pairs = pairs;
            if (!_disposed) _rings?.EnablePairs(pairs);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
        }
        _backend?.Dispose(); // the kernel stops every ring and lets go of the TAP queues
        _noVector.Dispose();
    }

    private void SetTapHeaderBytes(int bytes)
    {
        if (bytes == _tapHeaderBytes) return;
        _setTapHeaderBytes(bytes);
        _tapHeaderBytes = bytes;
    }
}
