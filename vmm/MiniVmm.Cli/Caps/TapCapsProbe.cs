using MiniVmm.Native;
using Tmds.Linux;

namespace MiniVmm.Cli.Caps;

/// <summary>TAP support: /dev/net/tun opens and TUNGETFEATURES reports multiqueue and vnet headers.</summary>
public static class TapCapsProbe
{
    // linux/if_tun.h
    private static readonly uint TunGetFeatures = Ioctl.IOR('T', 207, sizeof(uint));
    private const uint IffMultiQueue = 0x0100, IffVnetHdr = 0x4000;

    public static unsafe CapsSection Probe()
    {
        var items = new List<CapsItem>();
        try
        {
            using var tun = FileDescriptor.Open("/dev/net/tun", LibC.O_RDWR);
            uint features = 0;
            // Safe: TUNGETFEATURES writes one unsigned int into the local.
            int r = Ioctl.TryInvoke(tun, TunGetFeatures, &features, out int errno);
            items.Add(CapsItem.Of("available", true));
            if (r < 0)
            {
                items.Add(CapsItem.Of("error", $"TUNGETFEATURES: {Errno.Name(errno)} ({errno})"));
            }
            else
            {
                items.Add(CapsItem.Of("features", $"0x{features:x}"));
                items.Add(CapsItem.Of("multi_queue", (features & IffMultiQueue) != 0));
                items.Add(CapsItem.Of("vnet_hdr", (features & IffVnetHdr) != 0));
            }
        }
        catch (SyscallException e)
        {
            items.Clear();
            items.Add(CapsItem.Of("available", false));
            items.Add(CapsItem.Of("error", e.Message));
        }
        return new CapsSection("tap", items);
    }
}
