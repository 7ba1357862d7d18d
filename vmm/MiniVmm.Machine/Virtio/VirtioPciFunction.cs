using MiniVmm.Kvm;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Pci;

namespace MiniVmm.Machine.Virtio;

/// <summary>
/// Any virtio device as a function on the machine's PCI bus, wired the way KVM makes cheap: the
/// modern virtio-pci transport in BAR 0, one MSI-X vector per queue plus one for configuration
/// changes (each a KVM GSI route and irqfd), and one ioeventfd per queue on its notify address, so a
/// guest kick never leaves the kernel and lands in the device's kick fd. Nothing here is specific
/// to a device type: a second virtio device needs none of it again.
/// </summary>
public sealed class VirtioPciFunction : IDisposable
{
    private readonly VirtualMachine _vm;
    private readonly IReadOnlyList<EventFd> _kicks;
    private readonly List<(EventFd Kick, GuestAddress Address)> _registered = [];
    private readonly object _lock = new();
    private readonly KvmMsiInterrupts _msi;
    private bool _disposed;

    /// <param name="kicks">One eventfd per queue of <paramref name="device"/>, the device's kick fds.</param>
    /// <param name="name">For the log line when the device enters DEVICE_NEEDS_RESET, e.g. "net0".</param>
    public VirtioPciFunction(Machine machine, IVirtioDevice device, IReadOnlyList<EventFd> kicks, GuestAddress barAddress, string name)
    {
        if (kicks.Count != device.Queues.Count) throw new ArgumentException($"{kicks.Count} kick eventfds for {device.Queues.Count} queues");
        _vm = machine.Vm;
        _kicks = kicks;
        _msi = new KvmMsiInterrupts(machine.CreateMsiRouting(device.Queues.Count + 1));
        Transport = new VirtioPciTransport(device, _msi, machine.Memory, barAddress);
        Transport.NeedsReset += failure => Console.Error.WriteLine($"minivmm: {name}: device needs reset: {failure}");
        Transport.BarsChanged += RegisterIoEventFds;
        RegisterIoEventFds();
        machine.AddPciDevice(Transport);
    }

    public VirtioPciTransport Transport { get; }

    /// <summary>
    /// The irqfd eventfd of MSI-X vector <paramref name="vector"/> (null for NO_VECTOR or one the table
    /// does not have): given to a vhost back end as a queue's call fd, the VMM is off the interrupt path.
    /// </summary>
    public FileDescriptor? CallFdOf(int vector) => (uint)vector < (uint)(Transport.QueueCount + 1) ? _msi.EventOf(vector).Handle : null;

    /// <summary>
    /// One ioeventfd per queue at its notify address (§4.1.4.4: a distinct address per queue, so no
    /// data match is needed), while memory decoding is on; re-done whenever the guest moves the BAR.
    /// </summary>
    private void RegisterIoEventFds()
    {
        lock (_lock)
        {
            UnregisterLocked();
            if (_disposed || !Transport.MemoryEnabled) return;
            for (int q = 0; q < _kicks.Count; q++)
            {
                GuestAddress address = Transport.NotifyAddress(q);
                _vm.RegisterIoEventFd(_kicks[q], address, VirtioPciTransport.NotifyWriteBytes);
                _registered.Add((_kicks[q], address));
            }
        }
    }

    private void UnregisterLocked()
    {
        foreach (var (kick, address) in _registered) _vm.UnregisterIoEventFd(kick, address, VirtioPciTransport.NotifyWriteBytes);
        _registered.Clear();
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            UnregisterLocked();
        }
    }
}
