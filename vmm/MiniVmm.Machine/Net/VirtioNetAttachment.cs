using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.Machine.Virtio;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Machine.Net;

/// <summary>
/// The network card of a machine: a multiqueue TAP with the steering back end chosen for this host,
/// the device's runtime (the virtio-net device and its workers), and the device as a virtio-pci
/// function. Wiring only. Start-up order: TAP, steering probes and back end, runtime, kick eventfds,
/// PCI function (transport, MSI routes, ioeventfds).
/// </summary>
public sealed class VirtioNetAttachment : IDisposable
{
    /// <summary>Where BAR 0 goes (the start of the PCI MMIO window; there is no firmware to place it).</summary>
    public static readonly GuestAddress BarAddress = new(0xC000_0000);

    private readonly EventFd[] _kicks;
    private readonly VirtioPciFunction _function;

    private VirtioNetAttachment(Machine machine, TapNetBackend backend, NetworkOptions options)
    {
        Backend = backend;
        Runtime = new NetDeviceRuntime("net0", backend.DeviceOptions(options), backend);
        _kicks = new EventFd[Runtime.Device.Queues.Count];
        try
        {
            for (int q = 0; q < _kicks.Length; q++) _kicks[q] = new EventFd();
            // PCI starts with Bus Master Enable clear: no DMA until the driver sets it.
            Runtime.Bind(machine.Memory, _kicks.Select(k => (FileDescriptor?)k.Handle).ToArray(), busMaster: false);
            _function = new VirtioPciFunction(machine, Runtime.Device, _kicks, BarAddress, Runtime.Name);
        }
        catch
        {
            foreach (EventFd? k in _kicks) k?.Dispose();
            throw;
        }
    }

    public TapNetBackend Backend { get; }

    public Tap Tap => Backend.Tap;

    /// <summary>The back end chosen and the one-line reason (the probe results).</summary>
    public SteeringChoice Steering => Backend.Choice;

    public NetDeviceRuntime Runtime { get; }

    public VirtioNetDevice Device => Runtime.Device;

    public MiniVmm.Virtio.Pci.VirtioPciTransport Transport => _function.Transport;

    /// <summary>
    /// Opens the TAP, probes the host and picks the steering back end, and puts the card on the
    /// machine's PCI bus. Throws TapException or SteeringUnavailableException with one clear line;
    /// nothing is left behind then.
    /// </summary>
    public static VirtioNetAttachment Create(Machine machine, NetworkOptions options, ISteeringCapabilities? capabilities = null)
    {
        TapNetBackend backend = TapNetBackend.Open(options, defaultPairs: machine.CpuCount, capabilities);
        try
        {
            var attachment = new VirtioNetAttachment(machine, backend, options);
            machine.Own(attachment);
            return attachment;
        }
        catch
        {
            backend.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _function.Dispose();
        Runtime.Dispose(); // stops the workers, then the steering back end and the TAP
        foreach (EventFd k in _kicks) k.Dispose();
    }
}
