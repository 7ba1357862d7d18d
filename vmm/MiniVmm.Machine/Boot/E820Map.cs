namespace MiniVmm.Machine.Boot;

/// <summary>
/// The memory map MiniVmm reports (the layout in CONTRACTS.md): RAM 0..0x9FC00, reserved
/// 0x9FC00..1 MiB (where a PC has its EBDA and BIOS; our MP tables live there), RAM from 1 MiB to the
/// end of guest RAM, which never reaches past 3 GiB (the PCI MMIO window starts there).
/// </summary>
public static class E820Map
{
    /// <summary>boot_params has room for 128 entries (E820_MAX_ENTRIES_ZEROPAGE).</summary>
    public const int MaxEntries = 128;

    public static IReadOnlyList<E820Entry> For(ulong ramBytes)
    {
        ulong end = Math.Min(ramBytes, BootLayout.RamLimit);
        var entries = new List<E820Entry>();
        entries.Add(new E820Entry(0, Math.Min(end, BootLayout.ReservedLowStart), E820Entry.Ram));
        if (end > BootLayout.ReservedLowStart)
            entries.Add(new E820Entry(BootLayout.ReservedLowStart,
                Math.Min(end, BootLayout.HighMemoryStart) - BootLayout.ReservedLowStart, E820Entry.Reserved));
        if (end > BootLayout.HighMemoryStart)
            entries.Add(new E820Entry(BootLayout.HighMemoryStart, end - BootLayout.HighMemoryStart, E820Entry.Ram));
        return entries;
    }

    /// <summary>End (exclusive) of the highest RAM entry: where the initrd may reach at most.</summary>
    public static ulong RamEnd(IReadOnlyList<E820Entry> map) =>
        map.Where(e => e.Type == E820Entry.Ram).Select(e => e.End).DefaultIfEmpty(0UL).Max();
}
