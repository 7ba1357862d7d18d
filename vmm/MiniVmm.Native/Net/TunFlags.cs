namespace MiniVmm.Native.Net;

/// <summary>The ifr_flags of TUNSETIFF / TUNGETIFF / TUNSETQUEUE (if_tun.h, IFF_*).</summary>
[Flags]
public enum TunFlags : ushort
{
    None = 0,
    Tun = 0x0001,
    Tap = 0x0002,
    NoCarrier = 0x0040,
    MultiQueue = 0x0100,
    AttachQueue = 0x0200,
    DetachQueue = 0x0400,
    Persist = 0x0800,
    NoPi = 0x1000,
    VnetHdr = 0x4000,
    TunExcl = 0x8000,
}
