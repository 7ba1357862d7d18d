using MiniVmm.Kvm;
using MiniVmm.Machine.Boot;
using MiniVmm.Memory;
using MiniVmm.Native;

namespace MiniVmm.Machine;

/// <summary>
/// Guest RAM: one anonymous mapping, shown to the guest as up to 3 GiB at guest-physical 0 (KVM memory
/// slot 0) and the rest from 4 GiB up (slot 1), so it never covers the PCI window, the IOAPIC or the
/// LAPIC below 4 GiB (<see cref="BootLayout"/>; the e820 map says the same, <see cref="E820Map"/>).
/// Pages are only backed once the guest touches them.
/// </summary>
public sealed unsafe class GuestRam : IDisposable
{
    /// <summary>KVM memory slots: the RAM below the PCI hole, and the RAM above 4 GiB.</summary>
    public const uint LowSlot = 0, HighSlot = 1;

    private readonly MappedRegion _region;

    public GuestRam(VirtualMachine vm, ulong sizeBytes)
    {
        if (sizeBytes == 0 || sizeBytes % BootLayout.PageSize != 0 || sizeBytes > ulong.MaxValue - BootLayout.HighRamStart)
            throw new ArgumentOutOfRangeException(nameof(sizeBytes), $"guest RAM must be a positive number of 4 KiB pages: {sizeBytes}");
        ulong low = Math.Min(sizeBytes, BootLayout.RamLimit);
        ulong high = sizeBytes - low;
        _region = MappedRegion.Anonymous(sizeBytes);
        try
        {
            vm.SetUserMemoryRegion(LowSlot, new GuestAddress(0), low, _region.Pointer);
            // Safe: low < sizeBytes when high > 0, so the pointer stays inside the mapping.
            if (high > 0) vm.SetUserMemoryRegion(HighSlot, new GuestAddress(BootLayout.HighRamStart), high, _region.Pointer + low);
        }
        catch
        {
            _region.Dispose();
            throw;
        }
        // Safe: the mapping lives as long as this object, which outlives every user of Memory.
        var below = new PointerGuestMemory(_region.Pointer, low);
        Memory = high == 0 ? below : new SplitGuestMemory(below, new GuestAddress(BootLayout.HighRamStart), new PointerGuestMemory(_region.Pointer + low, high));
    }

    public IGuestMemory Memory { get; }

    public ulong SizeBytes => _region.Length;

    /// <summary>
    /// The most guest RAM <paramref name="host"/> can give now, and what sets that limit: the memory the
    /// host has available (RAM and swap: guest RAM is backed lazily, but a guest may touch all of it),
    /// and the process's RLIMIT_AS and RLIMIT_DATA (an anonymous private mapping counts against both).
    /// </summary>
    public static (ulong Bytes, string Reason) HostLimit(HostMemory host)
    {
        (ulong bytes, string reason) = (host.AvailableBytes, "the host's MemAvailable + SwapFree");
        if (host.AddressSpaceLimitBytes is ulong asLimit)
        {
            ulong room = asLimit > host.AddressSpaceUsedBytes ? asLimit - host.AddressSpaceUsedBytes : 0;
            if (room < bytes) (bytes, reason) = (room, "RLIMIT_AS less what the process maps already");
        }
        if (host.DataLimitBytes is ulong dataLimit)
        {
            ulong room = dataLimit > host.DataUsedBytes ? dataLimit - host.DataUsedBytes : 0;
            if (room < bytes) (bytes, reason) = (room, "RLIMIT_DATA less the process's data already");
        }
        return (bytes & ~(BootLayout.PageSize - 1), reason);
    }

    /// <summary>Null when this host can give a guest <paramref name="bytes"/> of RAM now; otherwise why not, in one line.</summary>
    public static string? CheckHostAllows(ulong bytes)
    {
        (ulong limit, string reason) = HostLimit(HostMemory.Read());
        return bytes <= limit ? null : $"more than this host can give a guest now (at most {limit >> 20}M: {reason})";
    }

    public void Dispose() => _region.Dispose();
}
