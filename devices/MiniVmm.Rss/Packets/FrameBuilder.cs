using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace MiniVmm.Rss.Packets;

/// <summary>
/// Builds Ethernet II frames for tests and for the steering test flows: IPv4 / IPv6 with TCP, UDP or a
/// raw protocol, VLAN tags, IPv4 options, fragments, IPv6 extension headers (hop-by-hop, destination
/// options with the Mobile IPv6 Home Address option, routing type 2, fragment, any other), ARP, a payload
/// and an optional trailing frame id ("MVID" + big-endian u32, the last 8 bytes of the frame).
/// Lengths, the IPv4 header checksum and TCP/UDP checksums (of unfragmented packets) are filled in.
/// </summary>
/// <example><code>
/// byte[] frame = new FrameBuilder().IPv4("10.0.0.1", "10.0.0.2").Tcp(1234, 80).WithId(7).Build();
/// </code></example>
public sealed class FrameBuilder
{
    /// <summary>The ASCII marker before the frame id (docs/RSS.md, "Test frames").</summary>
    public static ReadOnlySpan<byte> IdMarker => "MVID"u8;

    /// <summary>Bytes of the id trailer: marker and big-endian u32.</summary>
    public const int IdBytes = 8;

    private readonly List<(ushort TagType, ushort Control)> vlanTags = [];
    private readonly List<(byte Type, byte[] Body)> extensionHeaders = [];
    private byte[] destinationMac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    private byte[] sourceMac = [0x52, 0x54, 0x00, 0xab, 0xcd, 0xef];
    private IPAddress? source;
    private IPAddress? destination;
    private byte[] ipv4Options = [];
    private (ushort OffsetBytes, bool More, uint Identification)? fragment;
    private int fragmentHeaderIndex;
    private byte protocol = IpProtocol.Udp;
    private ushort sourcePort;
    private ushort destinationPort;
    private (IPAddress Sender, IPAddress Target)? arp;
    private byte[] payload = [];
    private uint? id;

    /// <summary>Destination and source MAC addresses (6 bytes each).</summary>
    public FrameBuilder WithMacs(ReadOnlySpan<byte> destinationAddress, ReadOnlySpan<byte> sourceAddress)
    {
        if (destinationAddress.Length != 6 || sourceAddress.Length != 6)
        {
            throw new ArgumentException("MAC addresses are 6 bytes");
        }

        destinationMac = destinationAddress.ToArray();
        sourceMac = sourceAddress.ToArray();
        return this;
    }

    /// <summary>Adds a VLAN tag after the ones already added (the first added is outermost).</summary>
    public FrameBuilder WithVlan(ushort vlanId, ushort tagType = EtherType.Vlan, byte priority = 0)
    {
        vlanTags.Add((tagType, (ushort)((priority << 13) | (vlanId & 0x0FFF))));
        return this;
    }

    /// <summary>An IPv4 packet from <paramref name="sourceAddress"/> to <paramref name="destinationAddress"/>.</summary>
    public FrameBuilder IPv4(string sourceAddress, string destinationAddress) =>
        IP(IPAddress.Parse(sourceAddress), IPAddress.Parse(destinationAddress), AddressFamily.InterNetwork);

    /// <summary>An IPv6 packet from <paramref name="sourceAddress"/> to <paramref name="destinationAddress"/>.</summary>
    public FrameBuilder IPv6(string sourceAddress, string destinationAddress) =>
        IP(IPAddress.Parse(sourceAddress), IPAddress.Parse(destinationAddress), AddressFamily.InterNetworkV6);

    /// <summary>IPv4 options (padded with End of Option List to a multiple of 4 bytes, at most 40).</summary>
    public FrameBuilder WithIPv4Options(ReadOnlySpan<byte> options)
    {
        int padded = (options.Length + 3) & ~3;
        if (padded > 40)
        {
            throw new ArgumentException("IPv4 options are at most 40 bytes");
        }

        ipv4Options = new byte[padded];
        options.CopyTo(ipv4Options);
        return this;
    }

    /// <summary>
    /// Makes the packet a fragment at <paramref name="offsetBytes"/> (a multiple of 8). IPv4: offset and MF
    /// in the header. IPv6: a Fragment header after the extension headers added so far. Only the first
    /// fragment (offset 0) carries the TCP/UDP header.
    /// </summary>
    public FrameBuilder AsFragment(ushort offsetBytes, bool moreFragments, uint identification = 0x1234)
    {
        if (offsetBytes % 8 != 0)
        {
            throw new ArgumentException("fragment offsets are multiples of 8 bytes");
        }

        fragment = (offsetBytes, moreFragments, identification);
        fragmentHeaderIndex = extensionHeaders.Count;
        return this;
    }

    /// <summary>An IPv6 Hop-by-Hop Options header holding only padding.</summary>
    public FrameBuilder WithHopByHopOptions() => WithExtensionHeader(IpProtocol.HopByHopOptions, PadN(6));

    /// <summary>An IPv6 Destination Options header holding only padding (no Home Address option).</summary>
    public FrameBuilder WithDestinationOptions() => WithExtensionHeader(IpProtocol.DestinationOptions, PadN(6));

    /// <summary>
    /// An IPv6 Destination Options header with the Home Address option (RFC 6275 §6.3: type 0xC9, length 16,
    /// at offset 8n+6, so 4 bytes of PadN come first).
    /// </summary>
    public FrameBuilder WithHomeAddress(string homeAddress)
    {
        byte[] body = new byte[22];
        PadN(4).CopyTo(body, 0);
        body[4] = IpProtocol.HomeAddressOption;
        body[5] = 16;
        Address(homeAddress, AddressFamily.InterNetworkV6).CopyTo(body, 6);
        return WithExtensionHeader(IpProtocol.DestinationOptions, body);
    }

    /// <summary>A type 2 Routing header (RFC 6275 §6.4: segments left 1) carrying <paramref name="homeAddress"/>.</summary>
    public FrameBuilder WithRoutingType2(string homeAddress)
    {
        byte[] body = new byte[22];
        body[0] = IpProtocol.RoutingType2;
        body[1] = 1;
        Address(homeAddress, AddressFamily.InterNetworkV6).CopyTo(body, 6);
        return WithExtensionHeader(IpProtocol.Routing, body);
    }

    /// <summary>
    /// Any IPv6 extension header: <paramref name="body"/> is everything after the next-header and length
    /// bytes; its length plus 2 must be a multiple of 8 (of 4 for the Authentication Header).
    /// </summary>
    public FrameBuilder WithExtensionHeader(byte type, ReadOnlySpan<byte> body)
    {
        int unit = type == IpProtocol.AuthenticationHeader ? 4 : 8;
        if ((body.Length + 2) % unit != 0 || body.Length + 2 < 8)
        {
            throw new ArgumentException($"extension header {type}: {body.Length + 2} bytes is not a valid length");
        }

        extensionHeaders.Add((type, body.ToArray()));
        return this;
    }

    /// <summary>A TCP header (20 bytes, ACK|PSH) with the given ports.</summary>
    public FrameBuilder Tcp(ushort sourcePortNumber, ushort destinationPortNumber) =>
        Transport(IpProtocol.Tcp, sourcePortNumber, destinationPortNumber);

    /// <summary>A UDP header with the given ports.</summary>
    public FrameBuilder Udp(ushort sourcePortNumber, ushort destinationPortNumber) =>
        Transport(IpProtocol.Udp, sourcePortNumber, destinationPortNumber);

    /// <summary>Any other IP protocol: no transport header is written, the payload follows the IP headers.</summary>
    public FrameBuilder Protocol(byte ipProtocol) => Transport(ipProtocol, 0, 0);

    /// <summary>A non-IP frame: an ARP request (RFC 826, Ethernet/IPv4).</summary>
    public FrameBuilder Arp(string senderAddress, string targetAddress)
    {
        arp = (IPAddress.Parse(senderAddress), IPAddress.Parse(targetAddress));
        return this;
    }

    /// <summary>Payload bytes after the transport header.</summary>
    public FrameBuilder WithPayload(ReadOnlySpan<byte> bytes)
    {
        payload = bytes.ToArray();
        return this;
    }

    /// <summary>A payload of <paramref name="length"/> bytes counting up from 0.</summary>
    public FrameBuilder WithPayloadLength(int length)
    {
        payload = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        return this;
    }

    /// <summary>Ends the frame with "MVID" and <paramref name="frameId"/> big-endian.</summary>
    public FrameBuilder WithId(uint frameId)
    {
        id = frameId;
        return this;
    }

    /// <summary>The id of a frame built with <see cref="WithId"/>, or null when its last 8 bytes are not an id.</summary>
    public static uint? ReadId(ReadOnlySpan<byte> frame) =>
        frame.Length >= IdBytes && frame[^IdBytes..^4].SequenceEqual(IdMarker)
            ? BinaryPrimitives.ReadUInt32BigEndian(frame[^4..])
            : null;

    /// <summary>Serializes the frame.</summary>
    public byte[] Build()
    {
        var frame = new List<byte>(128);
        frame.AddRange(destinationMac);
        frame.AddRange(sourceMac);
        foreach (var (tagType, control) in vlanTags)
        {
            AddUInt16(frame, tagType);
            AddUInt16(frame, control);
        }

        byte[] body = Trailer(payload);
        if (arp is { } request)
        {
            AddUInt16(frame, EtherType.Arp);
            frame.AddRange(ArpBody(request.Sender, request.Target));
            frame.AddRange(body);
        }
        else if (source is null || destination is null)
        {
            throw new InvalidOperationException("call IPv4, IPv6 or Arp before Build");
        }
        else if (source.AddressFamily == AddressFamily.InterNetwork)
        {
            AddUInt16(frame, EtherType.IPv4);
            frame.AddRange(FrameBuilderLayers.IPv4Packet(source, destination, ipv4Options, fragment, TransportSegment(body)));
        }
        else
        {
            AddUInt16(frame, EtherType.IPv6);
            var headers = new List<(byte Type, byte[] Body)>(extensionHeaders);
            if (fragment is { } f)
            {
                // RFC 8200 §4.5: offset in 8-byte units in the top 13 bits, then 2 reserved bits, then M.
                byte[] fragmentBody = new byte[6];
                BinaryPrimitives.WriteUInt16BigEndian(fragmentBody, (ushort)(f.OffsetBytes | (f.More ? 1 : 0)));
                BinaryPrimitives.WriteUInt32BigEndian(fragmentBody.AsSpan(2), f.Identification);
                headers.Insert(fragmentHeaderIndex, (IpProtocol.Fragment, fragmentBody));
            }

            frame.AddRange(FrameBuilderLayers.IPv6Packet(source, destination, headers, TransportSegment(body)));
        }

        return frame.ToArray();
    }

    private (byte Protocol, byte[] Segment, bool Checksummed) TransportSegment(byte[] body)
    {
        bool hasTransportHeader = fragment is not { OffsetBytes: > 0 } && protocol is IpProtocol.Tcp or IpProtocol.Udp;
        bool fragmented = fragment is { } f && (f.OffsetBytes > 0 || f.More);
        byte[] segment = hasTransportHeader
            ? FrameBuilderLayers.TransportHeader(protocol, sourcePort, destinationPort, body)
            : body;
        return (protocol, segment, hasTransportHeader && !fragmented);
    }

    private byte[] Trailer(byte[] bytes)
    {
        if (id is not { } value)
        {
            return bytes;
        }

        byte[] withId = new byte[bytes.Length + IdBytes];
        bytes.CopyTo(withId, 0);
        IdMarker.CopyTo(withId.AsSpan(bytes.Length));
        BinaryPrimitives.WriteUInt32BigEndian(withId.AsSpan(bytes.Length + 4), value);
        return withId;
    }

    private FrameBuilder IP(IPAddress sourceAddress, IPAddress destinationAddress, AddressFamily family)
    {
        if (sourceAddress.AddressFamily != family || destinationAddress.AddressFamily != family)
        {
            throw new ArgumentException($"{sourceAddress} and {destinationAddress} must both be {family}");
        }

        source = sourceAddress;
        destination = destinationAddress;
        return this;
    }

    private FrameBuilder Transport(byte ipProtocol, ushort sourcePortNumber, ushort destinationPortNumber)
    {
        protocol = ipProtocol;
        sourcePort = sourcePortNumber;
        destinationPort = destinationPortNumber;
        return this;
    }

    private static byte[] Address(string text, AddressFamily family)
    {
        IPAddress address = IPAddress.Parse(text);
        return address.AddressFamily == family ? address.GetAddressBytes() : throw new ArgumentException($"{text} is not {family}");
    }

    /// <summary>A PadN option of <paramref name="totalBytes"/> bytes (RFC 8200 §4.2).</summary>
    private static byte[] PadN(int totalBytes)
    {
        byte[] pad = new byte[totalBytes];
        pad[0] = 1;
        pad[1] = (byte)(totalBytes - 2);
        return pad;
    }

    private byte[] ArpBody(IPAddress sender, IPAddress target)
    {
        var body = new List<byte>(28);
        AddUInt16(body, 1);
        AddUInt16(body, EtherType.IPv4);
        body.Add(6);
        body.Add(4);
        AddUInt16(body, 1);
        body.AddRange(sourceMac);
        body.AddRange(sender.GetAddressBytes());
        body.AddRange(new byte[6]);
        body.AddRange(target.GetAddressBytes());
        return body.ToArray();
    }

    internal static void AddUInt16(List<byte> bytes, ushort value)
    {
        bytes.Add((byte)(value >> 8));
        bytes.Add((byte)value);
    }
}
