using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.HostNet.VhostNet;
using MiniVmm.Machine.Virtio;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Native.Vhost;
using MiniVmm.VhostUser.FrontEnd;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Machine.Net;

/// <summary>
/// The network card of a machine: a multiqueue TAP with the steering back end chosen for this host,
/// the device's runtime (the virtio-net device and its workers), and the device as a virtio-pci
/// function. With `vhost=on|auto` the runtime may give the data rings to the kernel's vhost-net (one
/// fd per queue pair) at DRIVER_OK. Wiring only. Start-up order: TAP, steering probes and back end,
/// vhost-net fds, runtime, kick eventfds, PCI function (transport, MSI routes, ioeventfds).
/// </summary>
public sealed class VirtioNetAttachment : IDisposable
{
    /// <summary>Where BAR 0 goes (the start of the PCI MMIO window; there is no firmware to place it).</summary>
    public static readonly GuestAddress BarAddress = new(0xC000_0000);

    private readonly EventFd[] _kicks;
    private readonly VirtioPciFunction _function;

    private VirtioNetAttachment(Machine machine, TapNetBackend backend, VirtioNetOptions deviceOptions, VhostNetDataPath? vhost, Action<string>? log)
    {
        Backend = backend;
        Runtime = new NetDeviceRuntime("net0", deviceOptions, backend, log, vhost);
        _kicks = new EventFd[Runtime.Device.Queues.Count];
        try
        {
            for (int q = 0; q < _kicks.Length; q++) _kicks[q] = new EventFd();
            // PCI starts with Bus Master Enable clear: no DMA until the driver sets it.
            Runtime.Bind(machine.Memory, _kicks.Select(k => (FileDescriptor?)k.Handle).ToArray(), busMaster: false);
            _function = new VirtioPciFunction(machine, Runtime.Device, _kicks, BarAddress, Runtime.Name);
            vhost?.Bind(machine.MemoryRegions, [.. _kicks.Select(k => k.Handle)], _function.CallFdOf);
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
    /// Opens the TAP, probes the host and picks the steering back end, opens vhost-net when `vhost=`
    /// asks for it, and puts the card on the machine's PCI bus. Throws TapException,
    /// SteeringUnavailableException or VhostNetUnavailableException with one clear line; nothing is
    /// left behind then.
    /// </summary>
    /// <param name="openVhost">Opens one vhost-net fd (default /dev/vhost-net; a fake in tests).</param>
    /// <param name="log">Where the runtime's one-line diagnostics go (default stderr).</param>
    public static VirtioNetAttachment Create(Machine machine, NetworkOptions options, ISteeringCapabilities? capabilities = null,
        Func<IVhostDevice>? openVhost = null, Action<string>? log = null)
    {
        TapNetBackend backend = TapNetBackend.Open(options, defaultPairs: machine.CpuCount, capabilities);
        VhostNetDataPath? vhost = null;
        try
        {
            VirtioNetOptions deviceOptions = backend.DeviceOptions(options);
            if (options.Vhost != VhostRequest.Off)
            {
                log ??= line => Console.Error.WriteLine($"minivmm: {line}");
                vhost = OpenVhostNet(options.Vhost, backend, openVhost ?? (() => VhostNetDevice.Open()), log);
                ulong offer = VhostNetSelector.Offer(vhost.Conditions, VirtioNetDevice.OfferedFeatures(deviceOptions));
                VhostNetSelector.CheckOn(vhost.Conditions, offer);
                deviceOptions = deviceOptions with { Features = offer };
            }
            var attachment = new VirtioNetAttachment(machine, backend, deviceOptions, vhost, log);
            machine.Own(attachment);
            return attachment;
        }
        catch
        {
            vhost?.Dispose();
            backend.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _function.Dispose();
        Runtime.Dispose(); // stops the workers and takes the rings back from vhost-net, then vhost-net, the steering back end and the TAP
        foreach (EventFd k in _kicks) k.Dispose();
    }

    /// <summary>
    /// The probe (open, VHOST_GET_FEATURES), then one vhost-net fd per TAP queue with VHOST_SET_OWNER.
    /// A failure makes vhost-net unavailable, with the reason: `auto` goes on in-process, `on` refuses
    /// to start (<see cref="VhostNetSelector.CheckOn"/>).
    /// </summary>
    private static VhostNetDataPath OpenVhostNet(VhostRequest requested, TapNetBackend backend, Func<IVhostDevice> open, Action<string> log)
    {
        (ProbeResult device, _) = VhostNetProbe.Probe(open);
        VhostNetBackend? vhost = null;
        if (device.Available)
        {
            try
            {
                vhost = VhostNetBackend.Open([.. backend.Tap.Queues.Select(q => q.Handle)], open);
                device = ProbeResult.Yes($"{device.Reason}; {vhost.QueuePairs} fds owned");
            }
            catch (VhostBackendException e)
            {
                device = ProbeResult.No(e.Message);
            }
        }
        var conditions = new VhostNetConditions(requested, device, vhost?.Features ?? 0, backend.Choice.Kind,
            backend.Capabilities ?? new UnprobedSteeringCapabilities());
        return new VhostNetDataPath("net0", conditions, vhost, backend.Tap.VnetHeaderSize, backend.Tap.SetVnetHeaderSize, log);
    }
}
