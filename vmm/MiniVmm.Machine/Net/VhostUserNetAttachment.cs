using MiniVmm.HostNet;
using MiniVmm.HostNet.VhostFrontEnd;
using MiniVmm.Machine.Virtio;
using MiniVmm.Native;
using MiniVmm.VhostUser.FrontEnd;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Machine.Net;

/// <summary>
/// A network card whose data path is a vhost-user back end process (`--net vhost-user=PATH`): the
/// guest sees a virtio-net device on virtio-pci, its rings go to the back end with KVM ioeventfds as
/// kick fds and the vectors' irqfds as call fds, so the VMM itself never touches a packet and needs
/// no network privilege. Guest RAM must be shared (memfd) for the back end to map it. Wiring only.
/// </summary>
public sealed class VhostUserNetAttachment : IDisposable
{
    private readonly EventFd[] _kicks;
    private readonly VirtioPciFunction _function;

    private VhostUserNetAttachment(Machine machine, VhostFrontEnd frontEnd)
    {
        FrontEnd = frontEnd;
        _kicks = new EventFd[frontEnd.Device.Queues.Count];
        try
        {
            for (int q = 0; q < _kicks.Length; q++) _kicks[q] = new EventFd();
            _function = new VirtioPciFunction(machine, frontEnd.Device, _kicks, VirtioNetAttachment.BarAddress, frontEnd.Name);
            frontEnd.Bind(machine.Memory, machine.SharedRegions!, [.. _kicks.Select(k => k.Handle)], _function.CallFdOf);
        }
        catch
        {
            foreach (EventFd? k in _kicks) k?.Dispose();
            throw;
        }
    }

    public VhostFrontEnd FrontEnd { get; }

    public VirtioNetDevice Device => FrontEnd.Device;

    public MiniVmm.Virtio.Pci.VirtioPciTransport Transport => _function.Transport;

    /// <summary>
    /// Connects to the back end, negotiates, and puts the card on the machine's PCI bus. Throws
    /// VhostBackendException with one clear line (no socket, a back end that refuses, features we
    /// cannot serve); nothing is left behind then.
    /// </summary>
    public static VhostUserNetAttachment Create(Machine machine, NetworkOptions options, Action<string> log)
    {
        if (machine.SharedRegions is null) throw new InvalidOperationException("a vhost-user NIC needs the machine's RAM shared (MachineOptions.SharedMemory)");
        string path = options.VhostUserPath!;
        VhostUserBackend backend = VhostUserBackend.Connect(path);
        VhostFrontEnd? frontEnd = null;
        try
        {
            frontEnd = new VhostFrontEnd("net0", backend, options.Mac, options.Queues, log)
            {
                Reconnect = options.Reconnect is TimeSpan patience ? (() => VhostUserBackend.Connect(path), patience) : null,
            };
            // Without reconnect=, or when the back end does not come back in time, the VM ends (status 1, one line).
            frontEnd.BackendLost += reason => machine.Stop.Fail(reason);
            var attachment = new VhostUserNetAttachment(machine, frontEnd);
            machine.Own(attachment);
            return attachment;
        }
        catch
        {
            if (frontEnd is not null) frontEnd.Dispose();
            else backend.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        _function.Dispose();
        FrontEnd.Dispose(); // GET_VRING_BASE for every ring, then the connection
        foreach (EventFd k in _kicks) k.Dispose();
    }
}
