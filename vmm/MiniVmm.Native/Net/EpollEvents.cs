namespace MiniVmm.Native.Net;

/// <summary>The epoll event bits we use (sys/epoll.h).</summary>
[Flags]
public enum EpollEvents : uint
{
    None = 0,
    In = 0x001,
    Out = 0x004,
    Err = 0x008,
    Hup = 0x010,

    /// <summary>EPOLLRDHUP: the peer of a stream socket shut down its writing side (or closed).</summary>
    RdHup = 0x2000,
}
