namespace MiniVmm.Virtio.Net;

/// <summary>virtio-net feature bit numbers (virtio 1.2 §5.1.3, VIRTIO_NET_F_*).</summary>
public static class VirtioNetFeature
{
    public const int Csum = 0;
    public const int GuestCsum = 1;
    public const int CtrlGuestOffloads = 2;
    public const int Mtu = 3;
    public const int Mac = 5;
    public const int GuestTso4 = 7;
    public const int GuestTso6 = 8;
    public const int HostTso4 = 11;
    public const int HostTso6 = 12;
    public const int MrgRxbuf = 15;
    public const int Status = 16;
    public const int CtrlVq = 17;
    public const int CtrlRx = 18;
    public const int CtrlVlan = 19;
    public const int GuestAnnounce = 21;
    public const int Mq = 22;
    public const int CtrlMacAddr = 23;
    public const int HashReport = 57;
    public const int Rss = 60;
}
