using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Native.Unix;
using MiniVmm.Testing.VhostUser;
using MiniVmm.VhostUser.Memory;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.UnitTests.VhostUser;

/// <summary>The memory table as guest memory: regions mapped from their descriptors, holes, boundaries, user addresses.</summary>
[Collection(LeakCheckCollection.Name)]
public sealed class GuestMemoryTests
{
    private const ulong Page = 4096;

    [Fact]
    public void TwoRegionsOfOneMemfd_LikeQemus_ResolveThroughTheirOffsets_WithAHoleBetween()
    {
        using FileDescriptor memfd = MemFd.Create("mvt-mem-two", 0x40000);
        using VhostUserGuestMemory memory = Map(memfd, new MemoryRegionDescription(0, 0xa000, 0x7f00_0000_0000, 0), new MemoryRegionDescription(0xc000, 0x34000, 0x7f00_0000_c000, 0xc000));
        Assert.Equal(0x40000UL, memory.SizeBytes);
        memory.WriteU64(new GuestAddress(0xc000), 0xfeedface);
        memory.WriteU64(new GuestAddress(0x9ff8), 0x1234);
        using MappedRegion check = MappedRegion.Shared(memfd, 0x40000, "check");
        Assert.True(check.TryGetSpan(0xc000, 8, out Span<byte> at));
        Assert.Equal(0xfeedfaceUL, BinaryPrimitives.ReadUInt64LittleEndian(at));
        Assert.False(memory.TryGetSpan(new GuestAddress(0xa000), 1, out _), "the hole is outside memory");
        Assert.False(memory.TryGetSpan(new GuestAddress(0xbfff), 2, out _), "a span never crosses a region boundary");
        Assert.False(memory.TryGetSpan(new GuestAddress(0x9ff8), 16, out _), "nor runs off a region's end");
        Assert.False(memory.TryGetSpan(new GuestAddress(ulong.MaxValue - 3), 8, out _));
        Assert.True(memory.TryTranslateUser(0x7f00_0000_c010, 0x100, out GuestAddress gpa));
        Assert.Equal(new GuestAddress(0xc010), gpa);
        Assert.False(memory.TryTranslateUser(0x7f00_0000_a000, 1, out _));
        Assert.False(memory.TryTranslateUser(0x7f00_0000_9000, 0x2000, out _), "a ring running off its region is refused");
    }

    [Fact]
    public void UmlsRegion_AtAnOffsetEqualToItsGuestAddress_SeesTheFileBytesThere()
    {
        // UML: guest address = user address = mmap offset; here at a non-page-aligned offset too.
        using FileDescriptor memfd = MemFd.Create("mvt-mem-uml", 0x30000);
        using (MappedRegion whole = MappedRegion.Shared(memfd, 0x30000, "fill"))
        {
            Assert.True(whole.TryGetSpan(0x21800, 8, out Span<byte> s));
            BinaryPrimitives.WriteUInt64LittleEndian(s, 0xabcdef);
        }
        using VhostUserGuestMemory memory = Map(memfd, new MemoryRegionDescription(0x21800, 0xe800, 0x21800, 0x21800));
        Assert.Equal(0xabcdefUL, memory.ReadU64(new GuestAddress(0x21800)));
        Assert.Equal(0x800UL, memory.Regions[0].MappingOffset);
        Assert.False(memory.TryGetSpan(new GuestAddress(0x21000), 8, out _), "below the region is outside memory");
    }

    [Fact]
    public void ARegionLongerThanItsFile_IsRefused_AndLeavesNoMapping()
    {
        using FileDescriptor memfd = MemFd.Create("mvt-mem-short", 0x10000);
        VhostUserGuestMemory? memory = VhostUserGuestMemory.TryMap([new MemoryRegionDescription(0, 0x100000, 0, 0)], [memfd], out VhostUserRejectReason reason);
        Assert.Null(memory);
        Assert.Equal(VhostUserRejectReason.RegionNotMappable, reason);
        Assert.Equal(0, ProcessResources.MappingsOf("mvt-mem-short"));
    }

    [Fact]
    public void WhenTheSecondRegionFails_TheFirstIsUnmappedAgain()
    {
        using FileDescriptor good = MemFd.Create("mvt-mem-good", 0x10000);
        using FileDescriptor shortFile = MemFd.Create("mvt-mem-bad", Page);
        VhostUserGuestMemory? memory = VhostUserGuestMemory.TryMap(
            [new MemoryRegionDescription(0, 0x10000, 0, 0), new MemoryRegionDescription(0x10000, 0x10000, 0x10000, 0)], [good, shortFile], out _);
        Assert.Null(memory);
        Assert.Equal(0, ProcessResources.MappingsOf("mvt-mem-good"));
    }

    [Fact]
    public void Dispose_UnmapsEveryRegion()
    {
        using FileDescriptor memfd = MemFd.Create("mvt-mem-dispose", 0x20000);
        VhostUserGuestMemory memory = Map(memfd, new MemoryRegionDescription(0, 0x10000, 0, 0), new MemoryRegionDescription(0x10000, 0x10000, 0x10000, 0x10000));
        Assert.Equal(2, ProcessResources.MappingsOf("mvt-mem-dispose"));
        memory.Dispose();
        Assert.Equal(0, ProcessResources.MappingsOf("mvt-mem-dispose"));
    }

    private static VhostUserGuestMemory Map(FileDescriptor memfd, params MemoryRegionDescription[] regions)
    {
        VhostUserGuestMemory? memory = VhostUserGuestMemory.TryMap(regions, [.. regions.Select(_ => memfd)], out VhostUserRejectReason reason);
        Assert.True(memory is not null, reason.ToString());
        return memory;
    }
}
