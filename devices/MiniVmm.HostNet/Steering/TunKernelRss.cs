using MiniVmm.Rss;

namespace MiniVmm.HostNet.Steering;

/// <summary>The tun virtio-net hashing ioctls on a real TAP (any queue fd configures the device).</summary>
public sealed class TunKernelRss(Tap tap) : IKernelRss
{
    public void Configure(RssConfiguration configuration, bool reportHash) => TunVnetHashing.Configure(tap, configuration, reportHash);

    public void Disable() => TunVnetHashing.Disable(tap);
}
