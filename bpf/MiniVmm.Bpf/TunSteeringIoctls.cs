using MiniVmm.Native;

namespace MiniVmm.Bpf;

/// <summary>The tun ioctls and flags the steering program needs (linux/if_tun.h).</summary>
internal static class TunSteeringIoctls
{
    /// <summary>TUNSETIFF = _IOW('T', 202, int).</summary>
    public static readonly uint SetInterface = Ioctl.IOW('T', 202, sizeof(int));

    /// <summary>TUNSETSTEERINGEBPF = _IOR('T', 224, int); the argument points to a program fd, or -1 to detach.</summary>
    public static readonly uint SetSteeringEbpf = Ioctl.IOR('T', 224, sizeof(int));

    public const short IffTap = 0x0002, IffNoPi = 0x1000, IffMultiQueue = 0x0100;

    /// <summary>sizeof(struct ifreq): 16-byte name, then the union (ifr_flags is a short at offset 16).</summary>
    public const int IfReqSize = 40;
}
