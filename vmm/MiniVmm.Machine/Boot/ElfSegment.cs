namespace MiniVmm.Machine.Boot;

/// <summary>
/// One PT_LOAD program header of an ELF64 kernel (System V gABI, "Program Header"): FileSize bytes
/// from FileOffset go to PhysicalAddress; the rest up to MemorySize (the bss) is zeroed.
/// </summary>
public readonly record struct ElfSegment(
    int Index,
    ulong FileOffset,
    ulong VirtualAddress,
    ulong PhysicalAddress,
    ulong FileSize,
    ulong MemorySize)
{
    /// <summary>Physical end (exclusive); <see cref="ElfKernel"/> rejects segments where this would wrap.</summary>
    public ulong PhysicalEnd => PhysicalAddress + MemorySize;

    public override string ToString() => $"segment {Index} (0x{PhysicalAddress:x}..0x{PhysicalEnd:x})";
}
