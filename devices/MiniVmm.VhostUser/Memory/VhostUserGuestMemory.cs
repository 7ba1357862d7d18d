using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.VhostUser.Memory;

/// <summary>
/// The front end's memory table as guest memory: guest-physical addresses resolve through the
/// regions; an address in no region (a hole) is outside memory, and a span never crosses a region
/// boundary. Also translates front-end user addresses (SET_VRING_ADDR's) to guest-physical ones.
/// Dispose unmaps every region: only once no device worker can still touch them.
/// </summary>
public sealed class VhostUserGuestMemory : IGuestMemory, IDisposable
{
    private readonly VhostUserMemoryRegion[] _regions;

    private VhostUserGuestMemory(VhostUserMemoryRegion[] regions)
    {
        _regions = regions;
        SizeBytes = regions.Length == 0 ? 0 : regions.Max(r => r.Description.GuestAddress + r.SizeBytes);
    }

    /// <summary>One past the highest guest-physical byte of any region (holes below it are still outside memory).</summary>
    public ulong SizeBytes { get; }

    public IReadOnlyList<VhostUserMemoryRegion> Regions => _regions;

    /// <summary>
    /// Maps every region from its descriptor (region i from <paramref name="fds"/>[i]); on any
    /// failure unmaps the ones already mapped and returns null with the reason. The descriptors
    /// stay the caller's (a mapping keeps its file alive on its own).
    /// </summary>
    public static VhostUserGuestMemory? TryMap(IReadOnlyList<MemoryRegionDescription> regions, IReadOnlyList<FileDescriptor> fds,
        out VhostUserRejectReason reason)
    {
        if (fds.Count != regions.Count)
        {
            reason = fds.Count < regions.Count ? VhostUserRejectReason.MissingFds : VhostUserRejectReason.UnexpectedFds;
            return null;
        }
        var mapped = new List<VhostUserMemoryRegion>(regions.Count);
        for (int i = 0; i < regions.Count; i++)
        {
            VhostUserMemoryRegion? region = VhostUserMemoryRegion.TryMap(regions[i], fds[i], out reason);
            if (region is null)
            {
                foreach (VhostUserMemoryRegion m in mapped) m.Dispose();
                return null;
            }
            mapped.Add(region);
        }
        reason = VhostUserRejectReason.None;
        return new VhostUserGuestMemory([.. mapped.OrderBy(r => r.Description.GuestAddress)]);
    }

    public bool TryGetSpan(GuestAddress address, ulong length, out Span<byte> span)
    {
        foreach (VhostUserMemoryRegion region in _regions)
        {
            if (region.ContainsGuest(address.Value, length)) return region.TryGetSpan(address.Value, length, out span);
        }
        span = default;
        return false;
    }

    /// <summary>True when [address, + length) lies inside one region.</summary>
    public bool ContainsGuest(GuestAddress address, ulong length) => _regions.Any(r => r.ContainsGuest(address.Value, length));

    /// <summary>
    /// The guest-physical address of front-end user address <paramref name="userAddress"/>, when
    /// [userAddress, + length) lies inside one region (QEMU: its virtual address; UML: user = guest).
    /// </summary>
    public bool TryTranslateUser(ulong userAddress, ulong length, out GuestAddress guestAddress)
    {
        foreach (VhostUserMemoryRegion region in _regions)
        {
            if (region.ContainsUser(userAddress, length))
            {
                guestAddress = new GuestAddress(region.Description.GuestAddress + (userAddress - region.Description.UserAddress));
                return true;
            }
        }
        guestAddress = default;
        return false;
    }

    public void Dispose()
    {
        foreach (VhostUserMemoryRegion region in _regions) region.Dispose();
    }
}
