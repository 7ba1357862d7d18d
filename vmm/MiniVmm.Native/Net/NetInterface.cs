using Tmds.Linux;

namespace MiniVmm.Native.Net;

/// <summary>
/// Interface-level socket ioctls (SIOCGIFINDEX, SIOCGIFFLAGS, SIOCSIFFLAGS) through a short-lived
/// AF_INET datagram socket, as ip(8) does without netlink.
/// </summary>
public static unsafe class NetInterface
{
    /// <summary>True when an interface with this name exists in the current network namespace.</summary>
    public static bool Exists(string name) => TryGetIndex(name, out _);

    /// <summary>The ifindex of <paramref name="name"/>, or false when there is no such interface.</summary>
    public static bool TryGetIndex(string name, out int index)
    {
        Ifreq req = Ifreq.ForName(name);
        using FileDescriptor sock = ControlSocket();
        // Safe: SIOCGIFINDEX reads the name from and writes ifr_ifindex into the local struct ifreq.
        int r = Ioctl.TryInvoke(sock, TunIoctl.SIOCGIFINDEX, &req, out int errno);
        index = r < 0 ? 0 : req.IfIndex;
        if (r < 0 && errno != Errno.ENODEV) throw new SyscallException($"SIOCGIFINDEX {name}", errno);
        return r >= 0;
    }

    /// <summary>The ifindex of <paramref name="name"/>; throws when it does not exist.</summary>
    public static int GetIndex(string name) =>
        TryGetIndex(name, out int index) ? index : throw new SyscallException($"SIOCGIFINDEX {name}", Errno.ENODEV);

    /// <summary>SIOCGIFFLAGS.</summary>
    public static InterfaceFlags GetFlags(string name)
    {
        Ifreq req = Ifreq.ForName(name);
        using FileDescriptor sock = ControlSocket();
        // Safe: SIOCGIFFLAGS writes ifr_flags into the local struct ifreq.
        Ioctl.Invoke(sock, TunIoctl.SIOCGIFFLAGS, $"SIOCGIFFLAGS {name}", &req);
        return (InterfaceFlags)req.Flags;
    }

    /// <summary>Sets or clears IFF_UP (read-modify-write of the flags, as `ip link set up` does).</summary>
    public static void SetUp(string name, bool up)
    {
        Ifreq req = Ifreq.ForName(name);
        using FileDescriptor sock = ControlSocket();
        // Safe: both requests read/write the local struct ifreq only.
        Ioctl.Invoke(sock, TunIoctl.SIOCGIFFLAGS, $"SIOCGIFFLAGS {name}", &req);
        ushort flags = up ? (ushort)(req.Flags | (ushort)InterfaceFlags.Up) : (ushort)(req.Flags & ~(ushort)InterfaceFlags.Up);
        if (flags == req.Flags) return;
        req.Flags = flags;
        Ioctl.Invoke(sock, TunIoctl.SIOCSIFFLAGS, $"SIOCSIFFLAGS {name}", &req);
    }

    private static FileDescriptor ControlSocket() =>
        FileDescriptor.FromResult(LibC.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0), "socket AF_INET");
}
