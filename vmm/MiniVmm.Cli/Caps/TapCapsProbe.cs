using MiniVmm.Native;
using MiniVmm.Native.Net;
using Tmds.Linux;

namespace MiniVmm.Cli.Caps;

/// <summary>TAP support: /dev/net/tun opens and TUNGETFEATURES reports multiqueue and vnet headers.</summary>
public static class TapCapsProbe
{
    public static CapsSection Probe()
    {
        var items = new List<CapsItem>();
        try
        {
            using var tun = FileDescriptor.Open("/dev/net/tun", LibC.O_RDWR);
            items.Add(CapsItem.Of("available", true));
            TunFlags features = TunDevice.GetFeatures(tun);
            items.Add(CapsItem.Of("features", $"0x{(uint)features:x}"));
            items.Add(CapsItem.Of("multi_queue", features.HasFlag(TunFlags.MultiQueue)));
            items.Add(CapsItem.Of("vnet_hdr", features.HasFlag(TunFlags.VnetHdr)));
        }
        catch (SyscallException e)
        {
            items.Add(CapsItem.Of("error", e.Message));
            if (!items.Exists(i => i.Name == "available")) items.Insert(0, CapsItem.Of("available", false));
        }
        return new CapsSection("tap", items);
    }
}
