using MiniVmm.HostNet.VhostNet;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Native.Vhost;
using MiniVmm.VhostUser.FrontEnd;

namespace MiniVmm.UnitTests.VhostNet;

/// <summary>
/// The ioctls VhostNetBackend sends, in order and with their arguments, against a fake vhost-net that
/// records them (these machines have no /dev/vhost-net): one fd per pair with SET_OWNER first, the
/// memory table in host addresses, each ring in QEMU's order ending with VHOST_NET_SET_BACKEND on
/// the pair's TAP queue, stop as SET_BACKEND -1 then GET_VRING_BASE, and refusals as one line.
/// </summary>
public sealed class VhostNetBackendTests : IDisposable
{
    // A guest with 3 GiB below the hole and 1 GiB above 4 GiB, mapped contiguously at 0x7f12_0000_0000 (as GuestRam maps it).
    private const ulong Host = 0x7f12_0000_0000, Low = 0xC000_0000, High = 0x4000_0000;

    private static readonly SharedMemoryRegion[] Regions =
    [
        new(new GuestAddress(0), Low, null, 0, UserAddress: 0) { HostAddress = Host },
        new(new GuestAddress(0x1_0000_0000), High, null, Low, UserAddress: 0x1_0000_0000) { HostAddress = Host + Low },
    ];

    private readonly FakeVhostNet _kernel = new();
    private readonly EventFd[] _taps = [new(), new()];
    private readonly EventFd _kick = new(), _call = new();

    public void Dispose()
    {
        foreach (EventFd e in _taps) e.Dispose();
        _kick.Dispose();
        _call.Dispose();
    }

    private VhostNetBackend Open() => VhostNetBackend.Open([.. _taps.Select(t => t.Handle)], _kernel.Open);

    [Fact]
    public void Open_takes_one_fd_per_pair_owner_first_and_hides_the_vhost_only_feature_bits()
    {
        using VhostNetBackend backend = Open();
        Assert.Equal(
        [
            "fd0 VHOST_SET_OWNER", "fd0 VHOST_GET_FEATURES",
            "fd1 VHOST_SET_OWNER", "fd1 VHOST_GET_FEATURES",
        ], _kernel.Calls);
        Assert.Equal(2, backend.QueuePairs);
        // VHOST_F_LOG_ALL (26) and VHOST_NET_F_VIRTIO_NET_HDR (27) are vhost's own, never a guest's.
        Assert.Equal(FakeVhostNet.MainlineFeatures & ~((1UL << 26) | (1UL << 27)), backend.Features);
        Assert.False(backend.TryReadConfig(new byte[24]));
    }

    [Fact]
    public void Features_and_the_memory_table_go_to_every_fd_in_host_addresses()
    {
        using VhostNetBackend backend = Open();
        _kernel.ClearCalls();
        backend.SetFeatures((1UL << 32) | (1UL << 29) | (1UL << 15));
        backend.SetMemoryTable(Regions);
        const string table = "VHOST_SET_MEM_TABLE {gpa 0x0, size 0xc0000000, uaddr 0x7f1200000000, flags 0} {gpa 0x100000000, size 0x40000000, uaddr 0x7f12c0000000, flags 0}";
        Assert.Equal(
        [
            "fd0 VHOST_SET_FEATURES 0x120008000", "fd1 VHOST_SET_FEATURES 0x120008000",
            $"fd0 {table}", $"fd1 {table}",
        ], _kernel.Calls);
    }

    [Fact]
    public void A_ring_starts_in_qemus_order_on_its_pairs_fd_with_host_addresses_and_the_pairs_tap_queue()
    {
        using VhostNetBackend backend = Open();
        backend.SetMemoryTable(Regions);
        _kernel.ClearCalls();
        // Queue 3 is pair 1's transmit queue: ring 1 of the second fd. Its rings lie above 4 GiB.
        var ring = new VhostRing(3, 256, new GuestAddress(0x1_0010_0000), new GuestAddress(0x1_0010_1000), new GuestAddress(0x1_0010_2000));
        backend.StartRing(ring, lastAvail: 7, _kick.Handle, _call.Handle);
        Assert.Equal(
        [
            "fd1 VHOST_SET_VRING_NUM {index 1, num 256}",
            "fd1 VHOST_SET_VRING_BASE {index 1, num 7}",
            "fd1 VHOST_SET_VRING_ADDR {index 1, flags 0, desc 0x7f12c0100000, used 0x7f12c0102000, avail 0x7f12c0101000, log 0x0}",
            $"fd1 VHOST_SET_VRING_KICK {{index 1, fd {_kick.Handle.Fd}}}",
            $"fd1 VHOST_SET_VRING_CALL {{index 1, fd {_call.Handle.Fd}}}",
            $"fd1 VHOST_NET_SET_BACKEND {{index 1, fd {_taps[1].Handle.Fd}}}",
        ], _kernel.Calls);
    }

    [Fact]
    public void Stopping_a_ring_unbinds_its_tap_queue_first_then_answers_the_kernels_last_avail_idx()
    {
        using VhostNetBackend backend = Open();
        backend.SetMemoryTable(Regions);
        backend.StartRing(new VhostRing(0, 64, new GuestAddress(0x10000), new GuestAddress(0x11000), new GuestAddress(0x12000)), 5, _kick.Handle, _call.Handle);
        _kernel.Consumed["fd0 ring0"] = 3; // the kernel took three chains after resuming at 5
        _kernel.ClearCalls();
        ushort lastAvail = backend.StopRing(0);
        Assert.Equal(8, lastAvail);
        Assert.Equal(["fd0 VHOST_NET_SET_BACKEND {index 0, fd -1}", "fd0 VHOST_GET_VRING_BASE 0"], _kernel.Calls);
    }

    [Fact]
    public void Ring_enables_are_the_pairs_tap_queue_bound_or_unbound()
    {
        using VhostNetBackend backend = Open();
        _kernel.ClearCalls();
        backend.SetRingEnabled(2, false);
        backend.SetRingEnabled(2, true);
        Assert.Equal(["fd1 VHOST_NET_SET_BACKEND {index 0, fd -1}", $"fd1 VHOST_NET_SET_BACKEND {{index 0, fd {_taps[1].Handle.Fd}}}"], _kernel.Calls);
    }

    [Fact]
    public void The_control_queue_is_never_the_kernels()
    {
        using VhostNetBackend backend = Open();
        backend.SetMemoryTable(Regions);
        _kernel.ClearCalls();
        var control = new VhostRing(4, 64, new GuestAddress(0x10000), new GuestAddress(0x11000), new GuestAddress(0x12000));
        var e = Assert.Throws<VhostBackendException>(() => backend.StartRing(control, 0, _kick.Handle, _call.Handle));
        Assert.Contains("queue 4 is not a data ring of 2 pairs", e.Message);
        Assert.Empty(_kernel.Calls);
    }

    [Theory]
    [InlineData(0xBFFF_F000UL, "descriptor table")] // 512 descriptors take 8 KiB: from 4 KiB below the hole they run past the end of the low RAM
    [InlineData(0xC000_0000UL, "descriptor table")] // in the PCI hole: no RAM at all
    public void A_ring_outside_one_region_of_guest_ram_is_refused_before_any_ioctl(ulong descriptors, string part)
    {
        using VhostNetBackend backend = Open();
        backend.SetMemoryTable(Regions);
        _kernel.ClearCalls();
        var ring = new VhostRing(0, 512, new GuestAddress(descriptors), new GuestAddress(0x11000), new GuestAddress(0x12000));
        var e = Assert.Throws<VhostBackendException>(() => backend.StartRing(ring, 0, _kick.Handle, _call.Handle));
        Assert.Contains($"ring 0's {part} at 0x{descriptors:x}", e.Message);
        Assert.Empty(_kernel.Calls);
    }

    [Fact]
    public void Features_the_kernel_did_not_offer_are_refused()
    {
        using VhostNetBackend backend = Open();
        _kernel.ClearCalls();
        // VIRTIO_NET_F_HASH_REPORT (57): mainline vhost-net does not offer it.
        var e = Assert.Throws<VhostBackendException>(() => backend.SetFeatures((1UL << 32) | (1UL << 57)));
        Assert.Contains("0x200000000000000", e.Message);
        Assert.Empty(_kernel.Calls);
    }

    [Fact]
    public void A_failing_ioctl_is_one_line_naming_the_pair_and_the_ioctl()
    {
        using VhostNetBackend backend = Open();
        backend.SetMemoryTable(Regions);
        _kernel.Fail = ("VHOST_NET_SET_BACKEND", Errno.EBADFD);
        var ring = new VhostRing(1, 64, new GuestAddress(0x10000), new GuestAddress(0x11000), new GuestAddress(0x12000));
        var e = Assert.Throws<VhostBackendException>(() => backend.StartRing(ring, 0, _kick.Handle, _call.Handle));
        Assert.Equal("vhost-net pair 0: VHOST_NET_SET_BACKEND: EBADFD (77)", e.Message);
    }

    [Fact]
    public void A_failed_open_closes_the_fds_already_opened()
    {
        _kernel.Fail = ("VHOST_SET_OWNER", Errno.EPERM);
        var e = Assert.Throws<VhostBackendException>(Open);
        Assert.Equal("vhost-net pair 0: VHOST_SET_OWNER: EPERM (1)", e.Message);
        Assert.Equal(0, _kernel.OpenCount);

        var kernel = new FakeVhostNet();
        int opened = 0;
        var second = Assert.Throws<VhostBackendException>(() => VhostNetBackend.Open([.. _taps.Select(t => t.Handle)], () =>
        {
            if (opened++ == 1) kernel.OpenErrno = Errno.EMFILE;
            return kernel.Open();
        }));
        Assert.Contains("EMFILE", second.Message);
        Assert.Equal(1, kernel.Devices.Count);
        Assert.Equal(0, kernel.OpenCount);
    }

    [Fact]
    public void Dispose_closes_every_fd()
    {
        VhostNetBackend backend = Open();
        backend.Dispose();
        Assert.Equal(0, _kernel.OpenCount);
        Assert.Equal(["fd0 close", "fd1 close"], _kernel.Calls.Where(c => c.EndsWith("close")));
    }

    [Fact]
    public void A_region_without_its_host_address_is_refused()
    {
        using VhostNetBackend backend = Open();
        _kernel.ClearCalls();
        SharedMemoryRegion guestOnly = new(new GuestAddress(0), Low, null, 0, UserAddress: 0);
        Assert.Throws<ArgumentException>(() => backend.SetMemoryTable([guestOnly]));
        Assert.Empty(_kernel.Calls);
    }
}
