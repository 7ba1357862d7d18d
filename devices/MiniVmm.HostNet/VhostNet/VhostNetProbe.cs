using MiniVmm.HostNet.Steering;
using MiniVmm.Native;
using MiniVmm.Native.Vhost;

namespace MiniVmm.HostNet.VhostNet;

/// <summary>
/// Whether this host has the kernel's vhost-net, by asking it: open /dev/vhost-net read-write (the
/// errno says why not: ENOENT without the module, EACCES without permission) and VHOST_GET_FEATURES
/// (which needs no owner). The fd is closed again before the answer returns.
/// </summary>
public static class VhostNetProbe
{
    /// <summary>The probe result and, when the device opened, its features (0 otherwise).</summary>
    /// <param name="open">Opens the device (default <see cref="VhostNetDevice.Open"/> on <paramref name="path"/>; a fake in tests).</param>
    public static (ProbeResult Result, ulong Features) Probe(Func<IVhostDevice>? open = null, string path = VhostNetDevice.DevicePath)
    {
        try
        {
            using IVhostDevice device = open?.Invoke() ?? VhostNetDevice.Open(path);
            ulong features = device.GetFeatures();
            return (ProbeResult.Yes($"{path} opens, VHOST_GET_FEATURES 0x{features:x}"), features);
        }
        catch (SyscallException e)
        {
            return (ProbeResult.No(Explain(path, e)), 0);
        }
    }

    /// <summary>The open's (or the ioctl's) errno in words, e.g. "open /dev/vhost-net: ENOENT (2): no vhost-net in this kernel".</summary>
    public static string Explain(string path, SyscallException e) => e.Errno switch
    {
        Errno.ENOENT or Errno.ENODEV or Errno.ENXIO => $"{e.Message}: no vhost-net in this kernel (CONFIG_VHOST_NET, or modprobe vhost_net)",
        Errno.EACCES or Errno.EPERM => $"{e.Message}: no permission to open {path}",
        _ => e.Message,
    };
}
