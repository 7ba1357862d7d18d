using MiniVmm.Memory;

namespace MiniVmm.Virtio.Pci;

/// <summary>One memory BAR: where the guest (or the machine) placed it now, and its size.</summary>
public readonly record struct PciBar(int Index, GuestAddress Address, ulong SizeBytes, bool Is64Bit);
