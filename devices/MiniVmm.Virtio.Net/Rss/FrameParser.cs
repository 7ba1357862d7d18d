using System.Buffers.Binary;
using MiniVmm.Virtio.Net.Packets;

namespace MiniVmm.Virtio.Net.Rss;

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
        if (frame.Length < EthernetHeaderBytes)
        {
            return FrameHeaders.NotIp;
        }

        int offset = EthernetHeaderBytes;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[12..]);
        for (int tags = 0; type is EtherType.Vlan or EtherType.ServiceVlan; tags++)
        {
            if (tags == MaxVlanTags || frame.Length - offset < VlanTagBytes)
            {
                return FrameHeaders.NotIp;
            }

            // Tag control information (2 bytes), then the next type.
            type = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 2)..]);
            offset += VlanTagBytes;
        }

        return type switch
        {
            EtherType.IPv4 => ParseIPv4(frame, offset),
            EtherType.IPv6 => ParseIPv6(frame, offset),
            _ => FrameHeaders.NotIp,
        };
    }

    private static FrameHeaders ParseIPv4(ReadOnlySpan<byte> frame, int offset)
    {
        if (frame.Length - offset < IPv4MinimumHeaderBytes)
        {
            return FrameHeaders.NotIp;
        }

        byte versionAndLength = frame[offset];
        int headerBytes = (versionAndLength & 0x0F) * 4;
        if ((versionAndLength >> 4) != 4 || headerBytes < IPv4MinimumHeaderBytes || frame.Length - offset < headerBytes)
        {
            return FrameHeaders.NotIp;
        }

        // RFC 791: flags (reserved, DF, MF) and 13-bit fragment offset. MF or a non-zero offset makes
        // a fragment: only the first one carries the ports, so all of them hash on addresses only.
        ushort flagsAndOffset = BinaryPrimitives.ReadUInt16BigEndian(frame[(offset + 6)..]);
        bool fragment = (flagsAndOffset & 0x3FFF) != 0;
        var headers = new FrameHeaders(NetworkLayer.IPv4, offset + 12, offset + 16, false, -1, -1, fragment, TransportLayer.None, -1);
        return fragment ? headers : WithTransport(headers, frame, frame[offset + 9], offset + headerBytes);
    }

    private static FrameHeaders ParseIPv6(ReadOnlySpan<byte> frame, int offset)
    {
        if (frame.Length - offset < IPv6HeaderBytes || (frame[offset] >> 4) != 6)
        {
            return FrameHeaders.NotIp;
        }

        var headers = new FrameHeaders(NetworkLayer.IPv6, offset + 8, offset + 24, false, -1, -1, false, TransportLayer.None, -1);
        byte next = frame[offset + 6];
        int current = offset + IPv6HeaderBytes;
        for (int count = 0; ; count++)
        {
            int headerBytes;
            switch (next)
            {
                case IpProtocol.Tcp:
                case IpProtocol.Udp:
                    return WithTransport(headers, frame, next, current);

                case IpProtocol.HopByHopOptions:
                case IpProtocol.Routing:
                case IpProtocol.DestinationOptions:
                case IpProtocol.Mobility:
                case IpProtocol.HostIdentity:
                case IpProtocol.Shim6:
                case IpProtocol.Experiment1:
                case IpProtocol.Experiment2:
                    // RFC 8200 §4: next header, length in 8-octet units not counting the first 8.
                    headers = headers with { HasIPv6ExtensionHeaders = true };
                    if (count == MaxIPv6ExtensionHeaders || frame.Length - current < 8)
                    {
                        return headers;
                    }

                    headerBytes = (frame[current + 1] + 1) * 8;
                    break;

                case IpProtocol.Fragment:
                    headers = headers with { HasIPv6ExtensionHeaders = true };
                    if (count == MaxIPv6ExtensionHeaders || frame.Length - current < 8)
                    {
                        return headers;
                    }

                    // RFC 8200 §4.5: offset (13 bits), 2 reserved bits, M. An atomic fragment (offset 0,
                    // M 0, RFC 6946) is a whole packet: keep going to its transport header.
                    if ((BinaryPrimitives.ReadUInt16BigEndian(frame[(current + 2)..]) & 0xFFF9) != 0)
                    {
                        return headers with { IsFragment = true };
                    }

                    headerBytes = 8;
                    break;

                case IpProtocol.AuthenticationHeader:
                    // RFC 4302 §2.2: length in 4-octet units minus 2.
                    headers = headers with { HasIPv6ExtensionHeaders = true };
                    if (count == MaxIPv6ExtensionHeaders || frame.Length - current < 8)
                    {
                        return headers;
                    }

                    headerBytes = (frame[current + 1] + 2) * 4;
                    break;

                case IpProtocol.EncapsulatingSecurityPayload:
                    // Nothing after ESP can be read; it is still an extension header (RFC 8200 §4).
                    return headers with { HasIPv6ExtensionHeaders = true };

                default:
                    // No next header (59), ICMPv6 and every other upper layer: no ports to hash.
                    return headers;
            }

            if (frame.Length - current < headerBytes)
            {
                return headers;
            }

            ReadOnlySpan<byte> extension = frame.Slice(current, headerBytes);
            if (next == IpProtocol.DestinationOptions && headers.HomeAddressOffset < 0)
            {
                int home = FindHomeAddress(extension);
                if (home >= 0)
                {
                    headers = headers with { HomeAddressOffset = current + home };
                }
            }
            else if (next == IpProtocol.Routing && headers.RoutingType2AddressOffset < 0
                && extension[1] == 2 && extension[2] == IpProtocol.RoutingType2 && extension[3] == 1)
            {
                // RFC 6275 §6.4: Hdr Ext Len 2, Routing Type 2, Segments Left 1, 4 reserved bytes, the home address.
                headers = headers with { RoutingType2AddressOffset = current + 8 };
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

    private static FrameHeaders WithTransport(FrameHeaders headers, ReadOnlySpan<byte> frame, byte protocol, int offset)
    {
        int available = frame.Length - offset;
        return protocol switch
        {
            IpProtocol.Tcp when available >= TcpMinimumHeaderBytes => headers with { Transport = TransportLayer.Tcp, TransportOffset = offset },
            IpProtocol.Udp when available >= UdpHeaderBytes => headers with { Transport = TransportLayer.Udp, TransportOffset = offset },
            _ => headers,
        };
    }
}
