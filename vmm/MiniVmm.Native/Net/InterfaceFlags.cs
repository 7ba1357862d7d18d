namespace MiniVmm.Native.Net;

/// <summary>The net_device flags of SIOCGIFFLAGS/SIOCSIFFLAGS that we use (linux/if.h).</summary>
[Flags]
public enum InterfaceFlags : ushort
{
    None = 0,
    Up = 0x1,
    Running = 0x40,
}
