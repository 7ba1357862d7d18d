using MiniVmm.Kvm;
using MiniVmm.Machine.Boot;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.VhostUser.FrontEnd;

namespace MiniVmm.Machine;

/// <summary>
/// Guest RAM: one mapping, shown to the guest as up to 3 GiB at guest-physical 0 (KVM memory slot 0)
/// and the rest from 4 GiB up (slot 1), so it never covers the PCI window, the IOAPIC or the LAPIC
/// below 4 GiB (<see cref="BootLayout"/>; the e820 map says the same, <see cref="E820Map"/>). Pages are
/// only backed once the guest touches them. <see cref="Shared"/> RAM is a memfd mapped MAP_SHARED, so a
/// vhost back end in another process can map the same pages (<see cref="SharedRegions"/>); otherwise
/// it is private anonymous memory, which keeps transparent huge pages for the VMM's own data path.
/// </summary>
public sealed class GuestRam : IDisposable
{
    /// <summary>KVM memory slots: the RAM below the PCI hole, and the RAM above 4 GiB.</summary>
    public const uint LowSlot = 0, HighSlot = 1;

    private readonly MappedRegion _region;
    private readonly FileDescriptor? _file;

    public GuestRam(VirtualMachine vm, ulong sizeBytes, bool shared = false)
    {
        if (sizeBytes == 0 || sizeBytes % BootLayout.PageSize != 0 || sizeBytes > ulong.MaxValue - BootLayout.HighRamStart)
            throw new ArgumentOutOfRangeException(nameof(sizeBytes), $"guest RAM must be a positive number of 4 KiB pages: {sizeBytes}");
        ulong low = Math.Min(sizeBytes, BootLayout.RamLimit);
        ulong high = sizeBytes - low;
        _file = shared ? MemFd.Create("minivmm-ram", sizeBytes) : null;
        try
        {
            _region = _file is not null ? MappedRegion.Shared(_file, sizeBytes, "guest RAM") : MappedRegion.Anonymous(sizeBytes);
            var below = new GuestMemorySlot(vm, LowSlot, new GuestAddress(0), _region, 0, low);
            GuestMemorySlot? above = high > 0 ? new GuestMemorySlot(vm, HighSlot, new GuestAddress(BootLayout.HighRamStart), _region, low, high) : null;
            Memory = above is null ? below.Memory : new SplitGuestMemory(below.Memory, above.GuestAddress, above.Memory);
            Regions = [.. new[] { below, above }.OfType<GuestMemorySlot>()
                .Select(s => new SharedMemoryRegion(s.GuestAddress, s.SizeBytes, _file, s.RegionOffset, UserAddress: s.GuestAddress.Value) { HostAddress = s.HostAddress })];
        }
        catch
        {
            _region?.Dispose();
            _file?.Dispose();
            throw;
        }
    }

    public IGuestMemory Memory { get; }

    public ulong SizeBytes => _region.Length;

    /// <summary>True when the RAM is a memfd another process can map.</summary>
    public bool Shared => _file is not null;

    /// <summary>
    /// The RAM as a vhost back end sees it, one region per KVM slot: user address = guest address, so
    /// the ring addresses we hand a vhost-user back end are guest-physical, and the host address of
    /// the slot for the kernel's vhost-net. Without <see cref="Shared"/> the regions have no file:
    /// only vhost-net (which works in this process's address space) can use them.
    /// </summary>
    public IReadOnlyList<SharedMemoryRegion> Regions { get; }

    /// <summary>The regions when another process can map them (<see cref="Shared"/>), else null.</summary>
    public IReadOnlyList<SharedMemoryRegion>? SharedRegions => Shared ? Regions : null;

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

    public void Dispose()
    {
        _region.Dispose();
        _file?.Dispose();
    }
}
