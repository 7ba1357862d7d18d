namespace MiniVmm.Virtio.Pci;

/// <summary>
/// MSI-X delivery for one PCI function, implemented by the Kvm layer (a GSI route per vector
/// via KVM_SET_GSI_ROUTING and an irqfd to signal it) and by a fake in tests. Vectors are table
/// indices 0..n-1; the transport never passes NO_VECTOR (0xFFFF).
/// </summary>
public interface IMsiInterrupts
{
    /// <summary>The guest programmed a table entry (message address and data) or (un)masked it.</summary>
    void Configure(int vector, ulong address, uint data, bool masked);

    /// <summary>Sends the message of an unmasked vector (the transport keeps masked ones pending in the PBA).</summary>
    void Signal(int vector);

    /// <summary>
    /// True when the masked vector was signalled behind the transport's back since it was masked (a
    /// vhost back end writes the vector's irqfd directly); consumed: the transport keeps it pending.
    /// </summary>
    bool TakeSignalWhileMasked(int vector);
}
