namespace MiniVmm.Fuzzing.Pci;

/// <summary>One access of a pci input: config space or BAR 0, read or write, at an offset, of a size (any: odd ones too), with a value.</summary>
public readonly record struct PciAccess(bool Bar, bool Write, long Offset, int Size, ulong Value)
{
    private static readonly int[] s_sizes = [1, 2, 4, 8, 1, 2, 4, 3];
    private static readonly int[] s_barRegions = [0x0000, 0x1000, 0x2000, 0x3000, 0x4000, 0x5000];

    /// <summary>
    /// u8 op (bits 0-1: config read, config write, BAR read, BAR write; bits 2-4: size 1, 2, 4, 8, 1, 2, 4, 3;
    /// bits 5-7: where: for BAR 0 the common, ISR, device, notify, MSI-X table and PBA regions with a u8
    /// offset, then any u16 offset, then past the BAR; for config space the header, the capabilities,
    /// the PCI_CFG capability with a u8 offset, else any u16 offset), the offset, and a u64 value for writes.
    /// </summary>
    public static List<PciAccess> ReadAll(ReadOnlySpan<byte> input, int max)
    {
        var r = new FuzzReader(input);
        var accesses = new List<PciAccess>();
        while (accesses.Count < max && !r.IsEmpty)
        {
            byte op = r.U8();
            bool bar = (op & 2) != 0, write = (op & 1) != 0;
            int size = s_sizes[(op >> 2) & 7];
            int where = op >> 5;
            long offset = bar
                ? where switch { < 6 => s_barRegions[where] + r.U8(), 6 => r.U16(), _ => 0x8000L + r.U16() }
                : where switch { 0 => r.U8() & 0x3F, 1 => 0x40 + (r.U8() % 0xC0), 2 => 0x98 + (r.U8() % 20), _ => r.U16() & 0x1FFF };
            ulong value = write ? r.U64() : 0;
            accesses.Add(new PciAccess(bar, write, offset, bar || size != 8 ? size : 4, value));
        }
        return accesses;
    }

    /// <summary>Encodes an access the way <see cref="ReadAll"/> reads it (BAR offsets inside a region's first 256 bytes, config as any offset).</summary>
    public void WriteTo(FuzzInputBuilder input)
    {
        int sizeCode = Size switch { 1 => 0, 2 => 1, 4 => 2, 8 => 3, _ => 7 };
        int where = Bar ? (int)(Offset >> 12) : 3;
        input.U8((Write ? 1 : 0) | (Bar ? 2 : 0) | (sizeCode << 2) | (where << 5));
        if (Bar) input.U8((int)(Offset & 0xFF));
        else input.U16((int)Offset);
        if (Write) input.U64(Value);
    }
}
