using MiniVmm.Virtio.Pci;

namespace MiniVmm.Testing;

/// <summary>Records MSI-X configuration and every vector signalled.</summary>
public sealed class FakeMsiInterrupts : IMsiInterrupts
{
    public Dictionary<int, (ulong Address, uint Data, bool Masked)> Entries { get; } = [];
    public List<int> Signals { get; } = [];

    public void Configure(int vector, ulong address, uint data, bool masked) => Entries[vector] = (address, data, masked);

    public void Signal(int vector)
    {
        lock (Signals)
        {
            Signals.Add(vector);
        }
    }

    public int Count(int vector) { lock (Signals) { return Signals.Count(v => v == vector); } }

    /// <summary>Vectors whose eventfd someone signalled directly while masked (as a vhost back end writes an irqfd).</summary>
    public HashSet<int> SignalledBehindTheTransport { get; } = [];

    public bool TakeSignalWhileMasked(int vector)
    {
        lock (Signals) return SignalledBehindTheTransport.Remove(vector);
    }
}
