using MiniVmm.Machine.Buses;

namespace MiniVmm.Machine.Pci;

/// <summary>Puts one BAR of a PCI function on the MMIO bus.</summary>
internal sealed class PciBarWindow(IPciFunction function, int bar) : IBusDevice
{
    public void Read(ulong offset, Span<byte> data) => function.ReadBar(bar, offset, data);

    public void Write(ulong offset, ReadOnlySpan<byte> data) => function.WriteBar(bar, offset, data);
}
