using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.VhostUser.Memory;

/// <summary>
/// One region of the front end's memory table, mapped MAP_SHARED from its descriptor. The mapping
/// starts at the mmap offset rounded down to a page (mmap needs that), so the region's first byte
/// is <see cref="MappingOffset"/> bytes into it; this serves UML (whose offset equals the guest
/// address) and QEMU (one memfd, several offsets) alike.
/// </summary>
public sealed class VhostUserMemoryRegion : IDisposable
{
    private readonly MappedRegion _mapping;

    private VhostUserMemoryRegion(MemoryRegionDescription description, MappedRegion mapping, ulong mappingOffset)
    {
        Description = description;
        _mapping = mapping;
        MappingOffset = mappingOffset;
    }

    public MemoryRegionDescription Description { get; }

    public GuestAddress Start => new(Description.GuestAddress);

    public ulong SizeBytes => Description.SizeBytes;

    /// <summary>Where the region's first byte is inside the mapping (mmap offset modulo the page size).</summary>
    public ulong MappingOffset { get; }

    /// <summary>Bytes mapped: the region plus the page remainder in front of it.</summary>
    public ulong MappedBytes => _mapping.Length;

    /// <summary>
    /// Maps the region, or returns null with the reason when the descriptor cannot back it: a
    /// file shorter than mmap offset + size would raise SIGBUS on first touch, so it is refused here.
    /// </summary>
    public static VhostUserMemoryRegion? TryMap(MemoryRegionDescription description, FileDescriptor fd, out VhostUserRejectReason reason)
    {
        reason = VhostUserRejectReason.RegionNotMappable;
        ulong page = (ulong)Environment.SystemPageSize;
        ulong fileOffset = description.MmapOffset & ~(page - 1);
        ulong mappingOffset = description.MmapOffset - fileOffset;
        // The parser refused mmap_offset + size past 2^64, so neither sum below can wrap.
        ulong end = description.MmapOffset + description.SizeBytes;
        ulong length = mappingOffset + description.SizeBytes;
        try
        {
            if (Native.Unix.FileStatus.Of(fd).SizeBytes < end) return null;
            MappedRegion mapping = MappedRegion.Shared(fd, fileOffset, length, $"vhost-user region {description.GuestAddress:x}");
            reason = VhostUserRejectReason.None;
            return new VhostUserMemoryRegion(description, mapping, mappingOffset);
        }
        catch (SyscallException)
        {
            return null;
        }
    }

    /// <summary>True when [guest address, + length) lies inside this region (overflow-safe).</summary>
    public bool ContainsGuest(ulong address, ulong length) =>
        address >= Description.GuestAddress && length <= SizeBytes && address - Description.GuestAddress <= SizeBytes - length;

    /// <summary>True when [user address, + length) lies inside this region (overflow-safe).</summary>
    public bool ContainsUser(ulong address, ulong length) =>
        address >= Description.UserAddress && length <= SizeBytes && address - Description.UserAddress <= SizeBytes - length;

    /// <summary>A span over guest bytes that <see cref="ContainsGuest"/> accepted.</summary>
    public bool TryGetSpan(ulong guestAddress, ulong length, out Span<byte> span) =>
        _mapping.TryGetSpan(MappingOffset + (guestAddress - Description.GuestAddress), length, out span);

    public void Dispose() => _mapping.Dispose();
}
