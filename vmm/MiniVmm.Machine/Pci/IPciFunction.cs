namespace MiniVmm.Machine.Pci;

/// <summary>
/// A PCI function on bus 0 as the host bridge sees it: configuration space by offset, and its
/// memory BARs, which the machine maps on the MMIO bus at the addresses the function reports
/// (assigned by the VMM, like Firecracker). The lead adapts the virtio transport's IPciDevice to this.
/// </summary>
public interface IPciFunction
{
    /// <summary>Configuration-space read; <paramref name="offset"/> &lt; 4096, data is 1, 2 or 4 bytes.</summary>
    void ReadConfig(int offset, Span<byte> data);

    void WriteConfig(int offset, ReadOnlySpan<byte> data);

    /// <summary>The memory BARs to map, fixed for the life of the machine.</summary>
    IReadOnlyList<PciBar> Bars { get; }

    /// <summary>MMIO read inside BAR <paramref name="bar"/> at <paramref name="offset"/> from its start.</summary>
    void ReadBar(int bar, ulong offset, Span<byte> data);

    void WriteBar(int bar, ulong offset, ReadOnlySpan<byte> data);
}
