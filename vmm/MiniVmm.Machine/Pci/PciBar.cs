using MiniVmm.Memory;

namespace MiniVmm.Machine.Pci;

/// <summary>A memory BAR of a PCI function: its index (0..5), where it sits, and how big it is.</summary>
public readonly record struct PciBar(int Index, GuestAddress Address, ulong SizeBytes);
