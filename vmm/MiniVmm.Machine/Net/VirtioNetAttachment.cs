using MiniVmm.HostNet;
using MiniVmm.Kvm;
using MiniVmm.HostNet.Steering;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Virtio.Net;
using MiniVmm.Virtio.Pci;

namespace MiniVmm.Machine.Net;

/// <summary>
/// The network card of a machine: a multiqueue TAP, the steering back end, the virtio-net device on
/// its modern virtio-pci transport, and one worker thread per queue pair. Wiring only: packets
/// move in <see cref="NetQueuePair"/>, steering decisions in the back end. Start-up order: TAP,
/// steering probes and back end, device, transport and MSI routes, kicks, workers.
/// </summary>
public sealed class VirtioNetAttachment : IDisposable
{
    /// <summary>Where BAR 0 goes (the start of the PCI MMIO window; there is no firmware to place it).</summary>
    public static readonly GuestAddress BarAddress = new(0xC000_0000);

    private readonly VirtualMachine _vm;
    private readonly EventFd[] _rxKicks, _txKicks;
    private readonly QueuePairWorker[] _workers;
    private readonly List<(EventFd Kick, GuestAddress Address)> _ioEventFds = new();
    private readonly object _lock = new();
    private bool _disposed;

    private VirtioNetAttachment(Machine machine, Tap tap, SteeringChoice choice, ISteeringBackend steering, NetworkOptions options)
    {
        _vm = machine.Vm;
        Tap = tap;
        Steering = choice;
        Backend = steering;
        int pairs = tap.Queues.Count;
        Device = new VirtioNetDevice(new VirtioNetOptions
        {
            QueuePairs = pairs,
            Mac = options.Mac,
            Rss = options.Rss,
            HashReport = options.HashReport,
            BackendOffloads = NetOffloads.All,
        }, machine.Memory);
        for (int k = 0; k < pairs; k++) Device.Pairs[k].Backend = steering.PortOf(k);
        Device.HashProvider = steering.HashProvider;

        // One MSI-X vector per virtqueue plus one for configuration changes (docs/VIRTIO.md).
        var msi = new KvmMsiInterrupts(machine.CreateMsiRouting(Device.Queues.Count + 1));
        Transport = new VirtioPciTransport(Device, msi, machine.Memory, BarAddress);
        Transport.NeedsReset += reason => Console.Error.WriteLine($"minivmm: net0: device needs reset: {reason}");
        Transport.QueueNotified += SignalKick;
        Transport.BarsChanged += RegisterIoEventFds;
        Device.Activated += OnActivated;
        Device.ActivePairsChanged += OnActivePairsChanged;
        Device.RssChanged += config => Backend.Configure(config, Device.ActivePairs);

        _rxKicks = new EventFd[pairs];
        _txKicks = new EventFd[pairs];
        _workers = new QueuePairWorker[pairs];
        for (int k = 0; k < pairs; k++)
        {
            _rxKicks[k] = new EventFd();
            _txKicks[k] = new EventFd();
            var loop = new QueuePairLoop(Device.Pairs[k], machine.Memory);
            _workers[k] = new QueuePairWorker($"net0-qp{k}", tap.Queues[k].Handle, _rxKicks[k], _txKicks[k], loop, OnWorkerBroken,
                steering.WakeupOf(k));
            loop.Worker = _workers[k];
        }
        machine.AddPciDevice(Transport);
        // Until the driver asks for more pairs (VQ_PAIRS_SET), only queue 0 carries traffic (§5.1.6.5.5).
        tap.SetActiveQueues(1);
        foreach (QueuePairWorker w in _workers) w.Start();
    }

    public Tap Tap { get; }

    /// <summary>The back end chosen and the one-line reason (the probe results).</summary>
    public SteeringChoice Steering { get; }

    public ISteeringBackend Backend { get; }

    public VirtioNetDevice Device { get; }

    public VirtioPciTransport Transport { get; }

    /// <summary>
    /// Opens the TAP, probes the host and picks the steering back end, and puts the card on the
    /// machine's PCI bus. Throws TapException or SteeringUnavailableException with one clear line;
    /// nothing is left behind then.
    /// </summary>
    public static VirtioNetAttachment Create(Machine machine, NetworkOptions options, ISteeringCapabilities? capabilities = null)
    {
        int pairs = options.Queues ?? Math.Clamp(machine.CpuCount, 1, VirtioNetOptions.MaxQueuePairsLimit);
        Tap tap = options.Fds is { Count: > 0 } fds ? Tap.Adopt(fds) : Tap.CreateOrAttach(options.TapName!, pairs);
        ISteeringBackend? backend = null;
        using var bpf = new BpfSteeringProbe();
        try
        {
            capabilities ??= options.Steering == SteeringRequest.Software
                ? new UnprobedSteeringCapabilities()
                : new KernelSteeringCapabilities(bpf);
            SteeringChoice choice = SteeringSelector.Choose(options.Steering, capabilities, options.HashReport);
            backend = SteeringBackends.Create(choice, tap, bpf.TakeProgram);
            var attachment = new VirtioNetAttachment(machine, tap, choice, backend, options);
            machine.Own(attachment);
            return attachment;
        }
        catch
        {
            backend?.Dispose();
            tap.Dispose();
            throw;
        }
    }

    private void OnActivated(ulong features)
    {
        Tap.SetOffloads(GuestOffloads.ToTunOffloads(features));
        OnActivePairsChanged(Device.ActivePairs);
        RegisterIoEventFds();
    }

    private void OnActivePairsChanged(int pairs)
    {
        Tap.SetActiveQueues(Math.Max(1, pairs));
        Backend.Configure(Device.CurrentRss, pairs);
    }

    /// <summary>
    /// Data-queue notifications become ioeventfds, so a guest kick never leaves the kernel (§4.1.4.4:
    /// one notify address per queue). The control queue stays on the MMIO path: its commands are
    /// answered on the vCPU. Re-done when the guest moves the BAR.
    /// </summary>
    private void RegisterIoEventFds()
    {
        lock (_lock)
        {
            foreach (var (kick, address) in _ioEventFds) _vm.UnregisterIoEventFd(kick, address, VirtioPciTransport.NotifyWriteBytes);
            _ioEventFds.Clear();
            if (_disposed || !Transport.MemoryEnabled || !Device.IsActive) return;
            for (int q = 0; q < Transport.QueueCount; q++)
            {
                if (!Device.TryGetPairOfQueue(q, out int pair, out bool isRx)) continue;
                EventFd kick = isRx ? _rxKicks[pair] : _txKicks[pair];
                GuestAddress address = Transport.NotifyAddress(q);
                _vm.RegisterIoEventFd(kick, address, VirtioPciTransport.NotifyWriteBytes);
                _ioEventFds.Add((kick, address));
            }
        }
    }

    private void SignalKick(int queue)
    {
        if (Device.TryGetPairOfQueue(queue, out int pair, out bool isRx)) (isRx ? _rxKicks[pair] : _txKicks[pair]).Signal();
    }

    private void OnWorkerBroken(QueuePairWorker worker, Exception e)
    {
        Console.Error.WriteLine($"minivmm: {worker.Name}: {e.Message}");
        Transport.MarkNeedsReset($"{worker.Name}: {e.Message}");
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
        }
        foreach (QueuePairWorker w in _workers) w.Dispose();
        lock (_lock)
        {
            foreach (var (kick, address) in _ioEventFds) _vm.UnregisterIoEventFd(kick, address, VirtioPciTransport.NotifyWriteBytes);
            _ioEventFds.Clear();
        }
        Backend.Dispose();
        Tap.Dispose();
        foreach (EventFd e in _rxKicks.Concat(_txKicks)) e.Dispose();
    }
}
