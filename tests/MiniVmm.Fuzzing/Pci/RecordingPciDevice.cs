using MiniVmm.Memory;
using MiniVmm.Virtio.Pci;

namespace MiniVmm.Fuzzing.Pci;

/// <summary>Passes accesses through to a PCI function and records them as pci fuzz input (the seeds: a real driver's accesses).</summary>
public sealed class RecordingPciDevice(IPciDevice inner) : IPciDevice
{
    public FuzzInputBuilder Recorded { get; } = new();

    public ushort Command => inner.Command;
    public bool MemoryEnabled => inner.MemoryEnabled;
    public IReadOnlyList<PciBar> Bars => inner.Bars;

    public event Action? BarsChanged
    {
        add => inner.BarsChanged += value;
        remove => inner.BarsChanged -= value;
    }

    public void AssignBar(int bar, GuestAddress address) => inner.AssignBar(bar, address);

    public uint ReadConfig(int offset, int size)
    {
        new PciAccess(false, false, offset, size, 0).WriteTo(Recorded);
        return inner.ReadConfig(offset, size);
    }

    public void WriteConfig(int offset, int size, uint value)
    {
        new PciAccess(false, true, offset, size, value).WriteTo(Recorded);
        inner.WriteConfig(offset, size, value);
    }

    public void ReadBar(int bar, ulong offset, Span<byte> data)
    {
        if (offset < 0x6000 && (offset & 0xFFF) < 0x100) new PciAccess(true, false, (long)offset, data.Length, 0).WriteTo(Recorded);
        inner.ReadBar(bar, offset, data);
    }

    public void WriteBar(int bar, ulong offset, ReadOnlySpan<byte> data)
    {
        ulong value = 0;
        for (int i = data.Length; i-- > 0;) value = (value << 8) | data[i];
        if (offset < 0x6000 && (offset & 0xFFF) < 0x100) new PciAccess(true, true, (long)offset, data.Length, value).WriteTo(Recorded);
        inner.WriteBar(bar, offset, data);
    }
}
