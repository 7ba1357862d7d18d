namespace MiniVmm.Rss;

/// <summary>
/// The parser's working state: the fields of <see cref="FrameHeaders"/> as a mutable struct the parser
/// fills through a ref, so the receive path copies nothing (see <see cref="FrameParser"/>).
/// </summary>
internal struct ParsedFrame
{
    public NetworkLayer Network;
    public TransportLayer Transport;
    public bool HasIPv6ExtensionHeaders;
    public bool IsFragment;
    public int SourceAddressOffset;
    public int DestinationAddressOffset;
    public int HomeAddressOffset;
    public int RoutingType2AddressOffset;
    public int TransportOffset;

    public readonly FrameHeaders ToHeaders() => Network == NetworkLayer.None
        ? FrameHeaders.NotIp
        : new FrameHeaders(Network, SourceAddressOffset, DestinationAddressOffset, HasIPv6ExtensionHeaders,
            HomeAddressOffset, RoutingType2AddressOffset, IsFragment, Transport, Transport == TransportLayer.None ? -1 : TransportOffset);
}
