namespace MiniVmm.Native.Unix;

/// <summary>
/// The socket(7), unix(7) and cmsg(3) numbers the Unix-socket interop uses, spelled as in the C
/// headers (sys/socket.h, bits/socket.h, linux/memfd.h). Pinned against gcc by NetInteropAbiTests.
/// </summary>
public static class UnixSocketAbi
{
    public const int AF_UNIX = 1;
    public const int SOCK_STREAM = 1;
    public const int SOCK_CLOEXEC = 0x80000;
    public const int SOL_SOCKET = 1;
    public const int SCM_RIGHTS = 1;
    public const int SHUT_RDWR = 2;

    public const int MSG_CTRUNC = 0x8;
    public const int MSG_DONTWAIT = 0x40;
    public const int MSG_NOSIGNAL = 0x4000;
    public const int MSG_CMSG_CLOEXEC = 0x40000000;

    public const uint MFD_CLOEXEC = 0x1;

    /// <summary>sizeof(sockaddr_un.sun_path): a socket path must be shorter than this (it needs its NUL).</summary>
    public const int SunPathBytes = 108;

    /// <summary>
    /// The most descriptors one message may carry (the vhost-user memory table's 8 regions);
    /// the receive control buffer has room for exactly this many, so more set MSG_CTRUNC.
    /// </summary>
    public const int MaxFdsPerMessage = 8;

    /// <summary>SCM_MAX_FD (include/net/scm.h): the most descriptors the kernel takes in one sendmsg.</summary>
    public const int ScmMaxFd = 253;

    /// <summary>CMSG_ALIGN: control messages are aligned to sizeof(size_t).</summary>
    public static int CmsgAlign(int length) => (length + sizeof(ulong) - 1) & ~(sizeof(ulong) - 1);

    /// <summary>CMSG_LEN: header plus <paramref name="dataBytes"/>, without trailing padding.</summary>
    public static int CmsgLen(int dataBytes) => CmsgAlign(CmsgHdr.SizeBytes) + dataBytes;

    /// <summary>CMSG_SPACE: header plus <paramref name="dataBytes"/>, padded to the next header.</summary>
    public static int CmsgSpace(int dataBytes) => CmsgAlign(CmsgHdr.SizeBytes) + CmsgAlign(dataBytes);
}
