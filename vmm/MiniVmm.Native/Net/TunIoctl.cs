namespace MiniVmm.Native.Net;

/// <summary>
/// The tun/tap ioctl requests (include/uapi/linux/if_tun.h) and the socket ioctls for interface
/// flags and index (include/uapi/linux/sockios.h). Pinned against the kernel headers by a test.
/// </summary>
public static class TunIoctl
{
    private const uint T = 'T';

    // The tun driver encodes 'int' for requests that really take a struct ifreq*: the numbers are ABI.
    public static readonly uint TUNSETIFF = Ioctl.IOW(T, 202, sizeof(int));
    public static readonly uint TUNSETPERSIST = Ioctl.IOW(T, 203, sizeof(int));
    public static readonly uint TUNGETFEATURES = Ioctl.IOR(T, 207, sizeof(uint));
    public static readonly uint TUNSETOFFLOAD = Ioctl.IOW(T, 208, sizeof(uint));
    public static readonly uint TUNGETIFF = Ioctl.IOR(T, 210, sizeof(uint));
    public static readonly uint TUNGETVNETHDRSZ = Ioctl.IOR(T, 215, sizeof(int));
    public static readonly uint TUNSETVNETHDRSZ = Ioctl.IOW(T, 216, sizeof(int));
    public static readonly uint TUNSETQUEUE = Ioctl.IOW(T, 217, sizeof(int));
    public static readonly uint TUNSETSTEERINGEBPF = Ioctl.IOR(T, 224, sizeof(int));

    // Not in mainline: the virtio-net hashing ioctls of Akihiko Odaki's series
    // "tun: Introduce virtio-net hash feature", v12 (2025-05-30). See docs/STEERING.md.
    public static readonly uint TUNGETVNETHASHTYPES = Ioctl.IOR(T, 228, sizeof(uint));
    public static readonly uint TUNSETVNETREPORTINGAUTOMQ = Ioctl.IOR(T, 229, sizeof(uint));
    public static readonly uint TUNSETVNETREPORTINGRSS = Ioctl.IOR(T, 230, TunVnetRss.SizeBytes);
    public static readonly uint TUNSETVNETRSS = Ioctl.IOR(T, 231, TunVnetRss.SizeBytes);

    // linux/sockios.h: fixed numbers from the pre-_IOC era.
    public const uint SIOCGIFFLAGS = 0x8913;
    public const uint SIOCSIFFLAGS = 0x8914;
    public const uint SIOCGIFINDEX = 0x8933;
}
