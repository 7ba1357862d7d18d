namespace MiniVmm.Machine.Boot;

/// <summary>
/// The memory map MiniVmm reports: RAM 0..0x9FC00, reserved 0x9FC00..1 MiB (where a PC has its EBDA
/// and BIOS; the MP and ACPI tables live there), RAM from 1 MiB up to 3 GiB at most, and whatever
/// RAM is left from 4 GiB up: the 32-bit PCI window, the IOAPIC and the LAPIC lie in between
/// (<see cref="BootLayout"/>, <see cref="GuestRam"/>). Like Cloud Hypervisor's and QEMU's maps.
/// </summary>
public static class E820Map
{
    /// <summary>boot_params has room for 128 entries (E820_MAX_ENTRIES_ZEROPAGE).</summary>
    public const int MaxEntries = 128;

    public static IReadOnlyList<E820Entry> For(ulong ramBytes)
    {
        ulong low = Math.Min(ramBytes, BootLayout.RamLimit);
        var entries = new List<E820Entry>();
        entries.Add(new E820Entry(0, Math.Min(low, BootLayout.ReservedLowStart), E820Entry.Ram));
        if (low > BootLayout.ReservedLowStart)
            entries.Add(new E820Entry(BootLayout.ReservedLowStart,
                Math.Min(low, BootLayout.HighMemoryStart) - BootLayout.ReservedLowStart, E820Entry.Reserved));
        if (low > BootLayout.HighMemoryStart)
            entries.Add(new E820Entry(BootLayout.HighMemoryStart, low - BootLayout.HighMemoryStart, E820Entry.Ram));
        if (ramBytes > low)
            entries.Add(new E820Entry(BootLayout.HighRamStart, ramBytes - low, E820Entry.Ram));
        return entries;
    }

    /// <summary>
    /// End (exclusive) of the RAM that starts at 1 MiB and ends below the PCI hole: where the kernel and
    /// the initrd must fit (the initrd stays below 4 GiB, as initrd_addr_max asks of most kernels).
    /// </summary>
    public static ulong LowRamEnd(IReadOnlyList<E820Entry> map) =>
        map.Where(e => e.Type == E820Entry.Ram && e.Address <= BootLayout.HighMemoryStart && e.End > BootLayout.HighMemoryStart)
            .Select(e => e.End).DefaultIfEmpty(0UL).Max();
}
