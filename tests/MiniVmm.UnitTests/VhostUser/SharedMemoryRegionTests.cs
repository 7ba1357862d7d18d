using MiniVmm.Memory;
using MiniVmm.VhostUser.FrontEnd;

namespace MiniVmm.UnitTests.VhostUser;

/// <summary>
/// A region's two address spaces: the user address a vhost-user back end is given (= the guest
/// address, so our guest-physical ring addresses translate to themselves) and the host address of
/// our own mapping, which the kernel's vhost-net dereferences; a range translates to the host only
/// when all of it lies in the region.
/// </summary>
public sealed class SharedMemoryRegionTests
{
    private static readonly SharedMemoryRegion High =
        new(new GuestAddress(0x1_0000_0000), 0x4000_0000, null, 0xC000_0000, UserAddress: 0x1_0000_0000) { HostAddress = 0x7f00_c000_0000 };

    [Fact]
    public void The_user_address_stays_the_guest_address()
    {
        Assert.True(High.TryTranslate(new GuestAddress(0x1_0000_1000), out ulong user));
        Assert.Equal(0x1_0000_1000UL, user);
    }

    [Theory]
    [InlineData(0x1_0000_0000UL, 16UL, 0x7f00_c000_0000UL)]
    [InlineData(0x1_2345_6780UL, 4096UL, 0x7f00_e345_6780UL)]
    [InlineData(0x1_3FFF_F000UL, 0x1000UL, 0x7f00_ffff_f000UL)] // the last page, exactly
    public void A_range_inside_the_region_is_at_the_mappings_offset(ulong guest, ulong bytes, ulong host)
    {
        Assert.True(High.TryTranslateToHost(new GuestAddress(guest), bytes, out ulong got));
        Assert.Equal(host, got);
    }

    [Theory]
    [InlineData(0xFFFF_FFF0UL, 16UL)]        // before the region
    [InlineData(0x1_3FFF_F000UL, 0x1001UL)]  // one byte past its end
    [InlineData(0x1_4000_0000UL, 1UL)]       // just after it
    [InlineData(0x1_0000_0000UL, ulong.MaxValue)] // a length that would wrap
    public void A_range_not_wholly_inside_is_refused(ulong guest, ulong bytes) =>
        Assert.False(High.TryTranslateToHost(new GuestAddress(guest), bytes, out _));

    [Fact]
    public void A_region_without_a_host_address_translates_nothing_to_the_host()
    {
        SharedMemoryRegion guestOnly = High with { HostAddress = 0 };
        Assert.False(guestOnly.TryTranslateToHost(new GuestAddress(0x1_0000_0000), 16, out _));
    }
}
