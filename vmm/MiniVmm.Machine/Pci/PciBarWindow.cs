using MiniVmm.Machine.Buses;
using MiniVmm.Virtio.Pci;

namespace MiniVmm.Machine.Pci;

/// <summary>Puts one BAR of a PCI function on the MMIO bus; accesses while memory decoding is off are dropped.</summary>
internal sealed class PciBarWindow(IPciDevice function, int bar) : IBusDevice
{
    public void Read(ulong offset, Span<byte> data)
    {
        if (function.MemoryEnabled) function.ReadBar(bar, offset, data);
        else data.Fill(0xFF);
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        if (function.MemoryEnabled) function.WriteBar(bar, offset, data);
    }
}
