namespace MiniVmm.Virtio.Pci;

/// <summary>
/// A PCI function as the machine's PCI host bridge sees it: a 4 KiB configuration space accessed
/// by (offset, size 1/2/4), memory BARs the guest may move (BAR sizing: write all-ones, read the
/// size mask), and MMIO into those BARs.
/// </summary>
public interface IPciDevice
{
    /// <summary>Reads 1, 2 or 4 bytes of configuration space (little-endian); 0 outside it.</summary>
    uint ReadConfig(int offset, int size);

    /// <summary>Writes 1, 2 or 4 bytes of configuration space; read-only bits are kept.</summary>
    void WriteConfig(int offset, int size, uint value);

    /// <summary>The command register (bit 1: memory space decoding, bit 2: bus master).</summary>
    ushort Command { get; }

    /// <summary>True when the guest enabled memory decoding: BAR MMIO should reach the device.</summary>
    bool MemoryEnabled { get; }

    /// <summary>The implemented memory BARs with their current guest addresses.</summary>
    IReadOnlyList<PciBar> Bars { get; }

    /// <summary>Raised after the guest moved a BAR or toggled memory decoding (re-register ioeventfds).</summary>
    event Action? BarsChanged;

    /// <summary>Moves a BAR; the machine assigns BARs in 0xC000_0000.. at creation (there is no firmware).</summary>
    void AssignBar(int bar, MiniVmm.Memory.GuestAddress address);

    void ReadBar(int bar, ulong offset, Span<byte> data);

    void WriteBar(int bar, ulong offset, ReadOnlySpan<byte> data);
}
