namespace MiniVmm.Rss.Packets;

/// <summary>IP protocol / IPv6 next-header numbers the classifier and <see cref="FrameBuilder"/> use (IANA).</summary>
public static class IpProtocol
{
    public const byte HopByHopOptions = 0;
    public const byte Icmp = 1;
    public const byte Tcp = 6;
    public const byte Udp = 17;
    public const byte Routing = 43;
    public const byte Fragment = 44;
    public const byte EncapsulatingSecurityPayload = 50;
    public const byte AuthenticationHeader = 51;
    public const byte IcmpV6 = 58;
    public const byte NoNextHeader = 59;
    public const byte DestinationOptions = 60;
    public const byte Mobility = 135;
    public const byte HostIdentity = 139;
    public const byte Shim6 = 140;
    public const byte Experiment1 = 253;
    public const byte Experiment2 = 254;

    /// <summary>IPv6 Destination Options option type of the Mobile IPv6 Home Address option (RFC 6275 §6.3).</summary>
    public const byte HomeAddressOption = 0xC9;

    /// <summary>Routing header type 2 (RFC 6275 §6.4).</summary>
    public const byte RoutingType2 = 2;
}
