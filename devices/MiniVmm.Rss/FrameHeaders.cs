namespace MiniVmm.Rss;

/// <summary>
/// The offsets (from the start of the Ethernet frame) of the fields the hash types of
/// virtio 1.2 §5.1.6.4.3 may use. Offsets are -1 when the field is absent. Produced by
/// <see cref="FrameParser.Parse"/>; every offset it sets lies fully inside the frame.
/// </summary>
public readonly record struct FrameHeaders(
    NetworkLayer Network,
    int SourceAddressOffset,
    int DestinationAddressOffset,
    bool HasIPv6ExtensionHeaders,
    int HomeAddressOffset,
    int RoutingType2AddressOffset,
    bool IsFragment,
    TransportLayer Transport,
    int TransportOffset)
{
    /// <summary>A frame nothing can be hashed in.</summary>
    public static FrameHeaders NotIp => new(NetworkLayer.None, -1, -1, false, -1, -1, false, TransportLayer.None, -1);

    /// <summary>Length of one address of <see cref="Network"/> in bytes (4 or 16; 0 when not IP).</summary>
    public int AddressBytes => Network switch
    {
        NetworkLayer.IPv4 => 4,
        NetworkLayer.IPv6 => 16,
        _ => 0,
    };
}
