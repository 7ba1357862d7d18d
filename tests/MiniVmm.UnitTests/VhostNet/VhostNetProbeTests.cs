using MiniVmm.HostNet.VhostNet;
using MiniVmm.Native;

namespace MiniVmm.UnitTests.VhostNet;

/// <summary>
/// What `caps` and `vhost=` say about vhost-net comes from asking the kernel: the open's errno when
/// the device is missing, the ioctl's when the file is not a vhost device, the features when it is
/// (here through the fake: these machines have no /dev/vhost-net), and the fd is closed either way.
/// </summary>
public sealed class VhostNetProbeTests
{
    [Fact]
    public void A_missing_device_is_no_with_the_opens_errno_in_words()
    {
        string path = Path.Combine(Path.GetTempPath(), $"no-vhost-net-{Guid.NewGuid():n}");
        (var result, ulong features) = VhostNetProbe.Probe(path: path);
        Assert.False(result.Available);
        Assert.Equal($"open {path}: ENOENT (2): no vhost-net in this kernel (CONFIG_VHOST_NET, or modprobe vhost_net)", result.Reason);
        Assert.Equal(0UL, features);
    }

    [Fact]
    public void A_file_that_is_not_a_vhost_device_is_no_with_the_ioctls_errno() =>
        Assert.Equal("no (VHOST_GET_FEATURES: ENOTTY (25))", VhostNetProbe.Probe(path: "/dev/null").Result.ToString());

    [Fact]
    public void A_device_that_opens_is_yes_with_its_features_and_is_closed_again()
    {
        var kernel = new FakeVhostNet();
        (var result, ulong features) = VhostNetProbe.Probe(kernel.Open);
        Assert.True(result.Available);
        Assert.Equal(FakeVhostNet.MainlineFeatures, features);
        Assert.Equal($"/dev/vhost-net opens, VHOST_GET_FEATURES 0x{FakeVhostNet.MainlineFeatures:x}", result.Reason);
        Assert.Equal(["fd0 VHOST_GET_FEATURES", "fd0 close"], kernel.Calls);
    }

    [Fact]
    public void No_permission_is_said_so()
    {
        var kernel = new FakeVhostNet { OpenErrno = Errno.EACCES };
        Assert.Equal("open /dev/vhost-net: EACCES (13): no permission to open /dev/vhost-net", VhostNetProbe.Probe(kernel.Open).Result.Reason);
    }
}
