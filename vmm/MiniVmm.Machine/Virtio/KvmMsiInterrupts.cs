using MiniVmm.Kvm;
using MiniVmm.Virtio.Pci;

namespace MiniVmm.Machine.Virtio;

/// <summary>The transport's MSI-X messages delivered by KVM: one GSI route and one irqfd per vector.</summary>
internal sealed class KvmMsiInterrupts(MsiRouting routing) : IMsiInterrupts
{
    public void Configure(int vector, ulong address, uint data, bool masked) => routing.Configure(vector, address, data, masked);

    public void Signal(int vector) => routing.Signal(vector);

    public bool TakeSignalWhileMasked(int vector) => routing.TakeSignalWhileMasked(vector);

    /// <summary>The irqfd eventfd of a vector: a vhost back end's call fd.</summary>
    public Native.EventFd EventOf(int vector) => routing.EventOf(vector);
}
