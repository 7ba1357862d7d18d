namespace MiniVmm.Virtio.Net.Control;

/// <summary>Control queue classes, commands and acks (virtio 1.2 §5.1.6.5).</summary>
public static class VirtioNetCtrl
{
    public const byte Ok = 0;   // VIRTIO_NET_OK
    public const byte Err = 1;  // VIRTIO_NET_ERR

    public const byte ClassRx = 0;
    public const byte ClassMac = 1;
    public const byte ClassVlan = 2;
    public const byte ClassAnnounce = 3;
    public const byte ClassMq = 4;
    public const byte ClassGuestOffloads = 5;

    public const byte MqVqPairsSet = 0;
    public const byte MqRssConfig = 1;
    public const byte MqHashConfig = 2;
}
