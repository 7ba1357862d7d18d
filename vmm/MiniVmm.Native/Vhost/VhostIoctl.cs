namespace MiniVmm.Native.Vhost;

/// <summary>
/// The vhost ioctl requests MiniVmm issues on /dev/vhost-net (linux/vhost.h, VHOST_VIRTIO = 0xAF) and
/// the constants that go with them (linux/vhost_types.h). Computed from the interop struct sizes;
/// VhostAbiTests compares every value with the headers through gcc.
/// </summary>
public static unsafe class VhostIoctl
{
    public const uint VHOST_VIRTIO = 0xAF;

    /// <summary>The fd value that unbinds a ring from its back end (VHOST_NET_SET_BACKEND) or its eventfd.</summary>
    public const int VHOST_FILE_UNBIND = -1;

    /// <summary>Feature bit: log every write for migration (never set: MiniVmm does not migrate).</summary>
    public const int VHOST_F_LOG_ALL = 26;

    /// <summary>Feature bit: vhost-net adds and strips the virtio-net header itself (never set: the TAP carries it).</summary>
    public const int VHOST_NET_F_VIRTIO_NET_HDR = 27;

    /// <summary>The granule of the memory table: region addresses and sizes are multiples of it.</summary>
    public const ulong VHOST_PAGE_SIZE = 0x1000;

    public static readonly uint VHOST_GET_FEATURES = Ioctl.IOR(VHOST_VIRTIO, 0x00, sizeof(ulong));
    public static readonly uint VHOST_SET_FEATURES = Ioctl.IOW(VHOST_VIRTIO, 0x00, sizeof(ulong));
    public static readonly uint VHOST_SET_OWNER = Ioctl.IO(VHOST_VIRTIO, 0x01);
    public static readonly uint VHOST_SET_MEM_TABLE = Ioctl.IOW(VHOST_VIRTIO, 0x03, (uint)sizeof(VhostMemory));
    public static readonly uint VHOST_SET_VRING_NUM = Ioctl.IOW(VHOST_VIRTIO, 0x10, (uint)sizeof(VhostVringState));
    public static readonly uint VHOST_SET_VRING_ADDR = Ioctl.IOW(VHOST_VIRTIO, 0x11, (uint)sizeof(VhostVringAddr));
    public static readonly uint VHOST_SET_VRING_BASE = Ioctl.IOW(VHOST_VIRTIO, 0x12, (uint)sizeof(VhostVringState));
    public static readonly uint VHOST_GET_VRING_BASE = Ioctl.IOWR(VHOST_VIRTIO, 0x12, (uint)sizeof(VhostVringState));
    public static readonly uint VHOST_SET_VRING_KICK = Ioctl.IOW(VHOST_VIRTIO, 0x20, (uint)sizeof(VhostVringFile));
    public static readonly uint VHOST_SET_VRING_CALL = Ioctl.IOW(VHOST_VIRTIO, 0x21, (uint)sizeof(VhostVringFile));
    public static readonly uint VHOST_NET_SET_BACKEND = Ioctl.IOW(VHOST_VIRTIO, 0x30, (uint)sizeof(VhostVringFile));
}
