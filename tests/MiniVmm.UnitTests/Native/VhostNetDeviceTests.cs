using MiniVmm.Native;
using MiniVmm.Native.Vhost;

namespace MiniVmm.UnitTests.Native;

/// <summary>
/// VhostNetDevice's real system calls, on fds that are not vhost devices (these machines have no
/// /dev/vhost-net): each ioctl reaches the kernel and its failure names the request and the errno
/// (the numbers themselves are pinned by VhostAbiTests). A file that is not a vhost device answers
/// ENOTTY, the kernel's "no such ioctl here".
/// </summary>
public sealed class VhostNetDeviceTests
{
    [Fact]
    public void Opening_a_missing_device_is_the_opens_errno()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-vhost-net-{Guid.NewGuid():n}");
        var e = Assert.Throws<SyscallException>(() => VhostNetDevice.Open(path));
        Assert.Equal(Errno.ENOENT, e.Errno);
        Assert.Equal($"open {path}", e.Call);
    }

    [Fact]
    public void Every_ioctl_reaches_the_kernel_and_its_failure_names_the_request()
    {
        using VhostNetDevice device = VhostNetDevice.Open("/dev/null");
        using var eventFd = new EventFd();
        var calls = new (string Name, Action Call)[]
        {
            ("VHOST_GET_FEATURES", () => device.GetFeatures()),
            ("VHOST_SET_OWNER", device.SetOwner),
            ("VHOST_SET_FEATURES 0x100000000", () => device.SetFeatures(1UL << 32)),
            ("VHOST_SET_MEM_TABLE (1 regions)", () => device.SetMemTable([new VhostMemoryRegion { GuestPhysAddr = 0, MemorySize = 0x1000, UserspaceAddr = 0x7f00_0000_0000 }])),
            ("VHOST_SET_VRING_NUM {index 1, num 256}", () => device.SetVringNum(new VhostVringState(1, 256))),
            ("VHOST_SET_VRING_BASE {index 0, num 7}", () => device.SetVringBase(new VhostVringState(0, 7))),
            ("VHOST_SET_VRING_ADDR {index 0, flags 0, desc 0x1000, used 0x3000, avail 0x2000, log 0x0}",
                () => device.SetVringAddr(new VhostVringAddr { DescUserAddr = 0x1000, AvailUserAddr = 0x2000, UsedUserAddr = 0x3000 })),
            ("VHOST_GET_VRING_BASE 1", () => device.GetVringBase(1)),
            ($"VHOST_SET_VRING_KICK {{index 0, fd {eventFd.Handle.Fd}}}", () => device.SetVringKick(0, eventFd.Handle)),
            ($"VHOST_SET_VRING_CALL {{index 1, fd {eventFd.Handle.Fd}}}", () => device.SetVringCall(1, eventFd.Handle)),
            ("VHOST_NET_SET_BACKEND {index 0, fd -1}", () => device.NetSetBackend(0, null)),
        };
        foreach ((string name, Action call) in calls)
        {
            var e = Assert.Throws<SyscallException>(call);
            Assert.Equal((name, Errno.ENOTTY), (e.Call, e.Errno));
        }
    }
}
