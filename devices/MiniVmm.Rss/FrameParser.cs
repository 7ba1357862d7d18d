using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using MiniVmm.Rss.Packets;

namespace MiniVmm.Rss;

/// <summary>
/// Finds the fields RSS hashes (virtio 1.2 §5.1.6.4.3) in an Ethernet frame. Any byte sequence is
/// safe input: every read is bounds-checked against the frame, loops are bounded, nothing allocates
/// and nothing throws. The rules (and why) are in docs/RSS.md; the BPF program follows the same ones.
/// </summary>
public static class FrameParser
{
    /// <summary>At most this many VLAN tags (802.1Q or 802.1ad, in any order) are skipped; more: not IP.</summary>
    public const int MaxVlanTags = 2;

    /// <summary>At most this many IPv6 extension headers are walked; with more the transport is unknown.</summary>
    public const int MaxIPv6ExtensionHeaders = 8;

    /// <summary>At most this many options of one Destination Options header are examined for the Home Address option.</summary>
    public const int MaxOptionsPerHeader = 16;

    private const int EthernetHeaderBytes = 14;
    private const int VlanTagBytes = 4;
    private const int IPv4MinimumHeaderBytes = 20;
    private const int IPv6HeaderBytes = 40;
    private const int TcpMinimumHeaderBytes = 20;
    private const int UdpHeaderBytes = 8;

    /// <summary>Parses <paramref name="frame"/> (starting at the destination MAC address, no vnet header).</summary>
    public static FrameHeaders Parse(ReadOnlySpan<byte> frame)
    {
        ParsedFrame parsed = default;
        Parse(frame, ref parsed);
        return parsed.ToHeaders();
    }

    /// <summary>The receive-path form of <see cref="Parse(ReadOnlySpan{byte})"/>: fills <paramref name="parsed"/> (from default) in place.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Parse(ReadOnlySpan<byte> frame, ref ParsedFrame parsed)
    {
        parsed.HomeAddressOffset = -1;
        parsed.RoutingType2AddressOffset = -1;
        if (frame.Length < EthernetHeaderBytes)
        {
            return;
        }

        int offset = EthernetHeaderBytes;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        for (int tags = 0; type is EtherType.Vlan or EtherType.ServiceVlan; tags++)
        {
            if (tags == MaxVlanTags || frame.Length - offset < VlanTagBytes)
            {
                return;
            }

            // Tag control information (2 bytes), then the next type.
            type = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]);
            offset += VlanTagBytes;
        }

        if (type == EtherType.IPv4)
        {
            ParseIPv4(frame, offset, ref parsed);
        }
        else if (type == EtherType.IPv6)
        {
            ParseIPv6(frame, offset, ref parsed);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ParseIPv4(ReadOnlySpan<byte> frame, int offset, ref ParsedFrame parsed)
    {
        if (frame.Length - offset < IPv4MinimumHeaderBytes)
        {
            return;
        }

        byte versionAndLength = frame[offset];
        int headerBytes = (versionAndLength & 0x0F) * 4;
        if ((versionAndLength >> 4) != 4 || headerBytes < IPv4MinimumHeaderBytes || frame.Length - offset < headerBytes)
        {
            return;
        }

        // RFC 791: flags (reserved, DF, MF) and 13-bit fragment offset. MF or a non-zero offset makes
        // a fragment: only the first one carries the ports, so all of them hash on addresses only.
        ushort flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 6)..]);
        parsed.Network = NetworkLayer.IPv4;
        parsed.SourceAddressOffset = offset + 12;
        parsed.DestinationAddressOffset = offset + 16;
        if ((flagsAndOffset & 0x3FFF) != 0)
        {
            parsed.IsFragment = true;
            return;
        }

        SetTransport(frame, frame[offset + 9], offset + headerBytes, ref parsed);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void ParseIPv6(ReadOnlySpan<byte> frame, int offset, ref ParsedFrame parsed)
    {
        if (frame.Length - offset < IPv6HeaderBytes || (frame[offset] >> 4) != 6)
        {
            return;
        }

        parsed.Network = NetworkLayer.IPv6;
        parsed.SourceAddressOffset = offset + 8;
        parsed.DestinationAddressOffset = offset + 24;
        byte next = frame[offset + 6];
        int current = offset + IPv6HeaderBytes;
        for (int count = 0; ; count++)
        {
            int headerBytes;
            switch (next)
            {
                case IpProtocol.Tcp:
                case IpProtocol.Udp:
                    SetTransport(frame, next, current, ref parsed);
                    return;

                case IpProtocol.HopByHopOptions:
                case IpProtocol.Routing:
                case IpProtocol.DestinationOptions:
                case IpProtocol.Mobility:
                case IpProtocol.HostIdentity:
                case IpProtocol.Shim6:
                case IpProtocol.Experiment1:
                case IpProtocol.Experiment2:
                    // RFC 8200 §4: next header, length in 8-octet units not counting the first 8.
                    parsed.HasIPv6ExtensionHeaders = true;
                    if (count == MaxIPv6ExtensionHeaders || frame.Length - current < 8)
                    {
                        return;
                    }

                    headerBytes = (frame[current + 1] + 1) * 8;
                    break;

                case IpProtocol.Fragment:
                    parsed.HasIPv6ExtensionHeaders = true;
                    if (count == MaxIPv6ExtensionHeaders || frame.Length - current < 8)
                    {
                        return;
                    }

                    // RFC 8200 §4.5: offset (13 bits), 2 reserved bits, M. An atomic fragment (offset 0,
                    // M 0, RFC 6946) is a whole packet: keep going to its transport header.
                    if ((BinaryPrimitives.ReadUInt16BigEndian(frame[(current + 2)..]) & 0xFFF9) != 0)
                    {
                        parsed.IsFragment = true;
                        return;
                    }

                    headerBytes = 8;
                    break;

                case IpProtocol.AuthenticationHeader:
                    // RFC 4302 §2.2: length in 4-octet units minus 2.
                    parsed.HasIPv6ExtensionHeaders = true;
                    if (count == MaxIPv6ExtensionHeaders || frame.Length - current < 8)
                    {
                        return;
                    }

                    headerBytes = (frame[current + 1] + 2) * 4;
                    break;

                case IpProtocol.EncapsulatingSecurityPayload:
                    // Nothing after ESP can be read; it is still an extension header (RFC 8200 §4).
                    parsed.HasIPv6ExtensionHeaders = true;
                    return;

                default:
                    // No next header (59), ICMPv6 and every other upper layer: no ports to hash.
                    return;
            }

            if (frame.Length - current < headerBytes)
            {
                return;
            }

            ReadOnlySpan<byte> extension = frame.Slice(current, headerBytes);
            if (next == IpProtocol.DestinationOptions && parsed.HomeAddressOffset < 0)
            {
                int home = FindHomeAddress(extension);
                if (home >= 0)
                {
                    parsed.HomeAddressOffset = current + home;
                }
            }
            else if (next == IpProtocol.Routing && parsed.RoutingType2AddressOffset < 0
                && extension[1] == 2 && extension[2] == IpProtocol.RoutingType2 && extension[3] == 1)
            {
                // RFC 6275 §6.4: Hdr Ext Len 2, Routing Type 2, Segments Left 1, 4 reserved bytes, the home address.
                parsed.RoutingType2AddressOffset = current + 8;
            }

            next = extension[0];
            current += headerBytes;
        }
    }

    /// <summary>Offset inside a Destination Options header of the Home Address option's address, or -1.</summary>
    private static int FindHomeAddress(ReadOnlySpan<byte> header)
    {
        // RFC 8200 §4.2 TLV options after the 2-byte header; RFC 6275 §6.3: type 0xC9, length 16.
        int position = 2;
        for (int option = 0; option < MaxOptionsPerHeader && position < header.Length; option++)
        {
            byte type = header[position];
            if (type == 0)
            {
                position++;
                continue;
            }

            if (header.Length - position < 2)
            {
                return -1;
            }

            int dataBytes = header[position + 1];
            if (header.Length - position - 2 < dataBytes)
            {
                return -1;
            }

            if (type == IpProtocol.HomeAddressOption && dataBytes == 16)
            {
                return position + 2;
            }

            position += 2 + dataBytes;
        }

        return -1;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SetTransport(ReadOnlySpan<byte> frame, byte protocol, int offset, ref ParsedFrame parsed)
    {
        int available = frame.Length - offset;
        if ((protocol == IpProtocol.Tcp && available >= TcpMinimumHeaderBytes) || (protocol == IpProtocol.Udp && available >= UdpHeaderBytes))
        {
            parsed.Transport = (TransportLayer)protocol;
            parsed.TransportOffset = offset;
        }
    }
}
