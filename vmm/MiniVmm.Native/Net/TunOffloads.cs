namespace MiniVmm.Native.Net;

/// <summary>The TUNSETOFFLOAD bits (if_tun.h, TUN_F_*): what the VMM's side accepts in the vnet header.</summary>
[Flags]
public enum TunOffloads : uint
{
    None = 0,
    Csum = 0x01,
    Tso4 = 0x02,
    Tso6 = 0x04,
    TsoEcn = 0x08,
    Ufo = 0x10,
}
