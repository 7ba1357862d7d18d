using Tmds.Linux;

namespace MiniVmm.Native.Net;

/// <summary>
/// The calls on a /dev/net/tun file descriptor (drivers/net/tun.c), one method per ioctl.
/// Each failure is a <see cref="SyscallException"/> naming the request.
/// </summary>
public static unsafe class TunDevice
{
    public const string ClonePath = "/dev/net/tun";

    /// <summary>Opens /dev/net/tun non-blocking and binds it with TUNSETIFF to the interface <paramref name="name"/>
    /// (created when absent; a '%d' in the name lets the kernel choose). Returns the fd and the name the kernel used.</summary>
    public static FileDescriptor OpenQueue(string name, TunFlags flags, out string actualName)
    {
        Ifreq req = Ifreq.ForName(name);
        req.Flags = (ushort)flags;
        FileDescriptor fd = FileDescriptor.Open(ClonePath, LibC.O_RDWR | LibC.O_NONBLOCK);
        try
        {
            // Safe: req is a local of the struct's full size, which is what TUNSETIFF reads and writes.
            Ioctl.Invoke(fd, TunIoctl.TUNSETIFF, $"TUNSETIFF {name}", &req);
            actualName = req.GetName();
            return fd;
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>TUNGETIFF: the interface name and flags of a bound fd. Fails with EBADFD for an unbound fd.</summary>
    public static (string Name, TunFlags Flags) GetInterface(FileDescriptor fd)
    {
        var req = new Ifreq();
        // Safe: TUNGETIFF writes one struct ifreq into the local.
        Ioctl.Invoke(fd, TunIoctl.TUNGETIFF, "TUNGETIFF", &req);
        return (req.GetName(), (TunFlags)req.Flags);
    }

    /// <summary>TUNGETIFF without throwing: false with the errno when the fd is not a bound tun fd.</summary>
    public static bool TryGetInterface(FileDescriptor fd, out string name, out TunFlags flags, out int errno)
    {
        var req = new Ifreq();
        // Safe: as above.
        int r = Ioctl.TryInvoke(fd, TunIoctl.TUNGETIFF, &req, out errno);
        name = r < 0 ? "" : req.GetName();
        flags = r < 0 ? TunFlags.None : (TunFlags)req.Flags;
        return r >= 0;
    }

    /// <summary>TUNGETFEATURES: the IFF_* flags this kernel's tun driver supports.</summary>
    public static TunFlags GetFeatures(FileDescriptor fd)
    {
        uint features = 0;
        // Safe: TUNGETFEATURES writes one unsigned int.
        Ioctl.Invoke(fd, TunIoctl.TUNGETFEATURES, "TUNGETFEATURES", &features);
        return (TunFlags)features;
    }

    /// <summary>TUNSETQUEUE with IFF_ATTACH_QUEUE or IFF_DETACH_QUEUE: enables or disables one queue of a multiqueue device.</summary>
    public static void SetQueueAttached(FileDescriptor fd, bool attached)
    {
        var req = new Ifreq { Flags = (ushort)(attached ? TunFlags.AttachQueue : TunFlags.DetachQueue) };
        // Safe: TUNSETQUEUE reads ifr_flags from the local struct ifreq.
        Ioctl.Invoke(fd, TunIoctl.TUNSETQUEUE, attached ? "TUNSETQUEUE attach" : "TUNSETQUEUE detach", &req);
    }

    /// <summary>TUNSETQUEUE attach without throwing: false with the errno (EINVAL when the queue is already attached).</summary>
    public static bool TryAttachQueue(FileDescriptor fd, out int errno)
    {
        var req = new Ifreq { Flags = (ushort)TunFlags.AttachQueue };
        // Safe: TUNSETQUEUE reads ifr_flags from the local struct ifreq.
        return Ioctl.TryInvoke(fd, TunIoctl.TUNSETQUEUE, &req, out errno) >= 0;
    }

    /// <summary>TUNSETVNETHDRSZ: the size of the virtio-net header in front of every packet (at least 10).</summary>
    public static void SetVnetHeaderSize(FileDescriptor fd, int bytes)
    {
        // Safe: TUNSETVNETHDRSZ reads one int.
        Ioctl.Invoke(fd, TunIoctl.TUNSETVNETHDRSZ, $"TUNSETVNETHDRSZ {bytes}", &bytes);
    }

    /// <summary>TUNGETVNETHDRSZ.</summary>
    public static int GetVnetHeaderSize(FileDescriptor fd)
    {
        int bytes = 0;
        // Safe: TUNGETVNETHDRSZ writes one int.
        Ioctl.Invoke(fd, TunIoctl.TUNGETVNETHDRSZ, "TUNGETVNETHDRSZ", &bytes);
        return bytes;
    }

    /// <summary>TUNSETOFFLOAD: which offloads the reader accepts (the argument is the value itself).</summary>
    public static void SetOffload(FileDescriptor fd, TunOffloads offloads) =>
        Ioctl.Invoke(fd, TunIoctl.TUNSETOFFLOAD, $"TUNSETOFFLOAD 0x{(uint)offloads:x}", (long)offloads);

    /// <summary>TUNSETPERSIST: a persistent interface outlives its fds; clearing it on a device with no fds deletes it.</summary>
    public static void SetPersist(FileDescriptor fd, bool persist) =>
        Ioctl.Invoke(fd, TunIoctl.TUNSETPERSIST, $"TUNSETPERSIST {(persist ? 1 : 0)}", persist ? 1 : 0);

    /// <summary>TUNSETSTEERINGEBPF: attaches a socket-filter program as the queue selector (-1 detaches).</summary>
    public static void SetSteeringProgram(FileDescriptor fd, int programFd)
    {
        // Safe: TUNSETSTEERINGEBPF reads one int (the program fd).
        Ioctl.Invoke(fd, TunIoctl.TUNSETSTEERINGEBPF, "TUNSETSTEERINGEBPF", &programFd);
    }

    /// <summary>
    /// TUNGETVNETHASHTYPES (not in mainline: the tun virtio-net hashing series, v12): the hash types the
    /// kernel can compute. False with the errno when the kernel does not know the request.
    /// </summary>
    public static bool TryGetVnetHashTypes(FileDescriptor fd, out uint types, out int errno)
    {
        uint value = 0;
        // Safe: the request writes one u32 into the local (and an unknown request writes nothing).
        int r = Ioctl.TryInvoke(fd, TunIoctl.TUNGETVNETHASHTYPES, &value, out errno);
        types = value;
        return r >= 0;
    }

    /// <summary>TUNSETVNETREPORTINGAUTOMQ: report these hash types with the kernel's own queue choice (0: off).</summary>
    public static void SetVnetReportingAutomq(FileDescriptor fd, uint types)
    {
        // Safe: the request reads one u32 from the local.
        Ioctl.Invoke(fd, TunIoctl.TUNSETVNETREPORTINGAUTOMQ, "TUNSETVNETREPORTINGAUTOMQ", &types);
    }

    /// <summary>
    /// TUNSETVNETRSS or, with <paramref name="reportHash"/>, TUNSETVNETREPORTINGRSS: struct tun_vnet_rss,
    /// the indirection table and the key, laid out by the caller in <paramref name="argument"/>.
    /// </summary>
    public static void SetVnetRss(FileDescriptor fd, ReadOnlySpan<byte> argument, bool reportHash)
    {
        uint request = reportHash ? TunIoctl.TUNSETVNETREPORTINGRSS : TunIoctl.TUNSETVNETRSS;
        fixed (byte* p = argument)
        {
            // Safe: the kernel reads the header, mask + 1 table entries and at most 40 key bytes, all inside the pinned span.
            Ioctl.Invoke(fd, request, reportHash ? "TUNSETVNETREPORTINGRSS" : "TUNSETVNETRSS", p);
        }
    }
}
