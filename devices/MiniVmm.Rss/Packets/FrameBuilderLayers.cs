using System.Buffers.Binary;
using System.Net;

namespace MiniVmm.Rss.Packets;

/// <summary>The IP and transport layer serialization of <see cref="FrameBuilder"/>, with checksums.</summary>
internal static class FrameBuilderLayers
{
    public static byte[] IPv4Packet(
        IPAddress source,
        IPAddress destination,
        byte[] options,
        (ushort OffsetBytes, bool More, uint Identification)? fragment,
        (byte Protocol, byte[] Segment, bool Checksummed) transport)
    {
        int headerBytes = 20 + options.Length;
        byte[] packet = new byte[headerBytes + transport.Segment.Length];
        Span<byte> header = packet.AsSpan(0, headerBytes);
        header[0] = (byte)(0x40 | (headerBytes / 4));
        BinaryPrimitives.WriteUInt16BigEndian(header[2..], (ushort)packet.Length);
        BinaryPrimitives.WriteUInt16BigEndian(header[4..], (ushort)(fragment?.Identification ?? 0x1234));
        if (fragment is { } f)
        {
            // RFC 791: flags 0 DF MF, then the offset in 8-byte units.
            BinaryPrimitives.WriteUInt16BigEndian(header[6..], (ushort)((f.More ? 0x2000 : 0) | (f.OffsetBytes / 8)));
        }

        header[8] = 64;
        header[9] = transport.Protocol;
        source.GetAddressBytes().CopyTo(header[12..]);
        destination.GetAddressBytes().CopyTo(header[16..]);
        options.CopyTo(header[20..]);
        BinaryPrimitives.WriteUInt16BigEndian(header[10..], InternetChecksum(0, header));

        transport.Segment.CopyTo(packet, headerBytes);
        if (transport.Checksummed)
        {
            Span<byte> pseudo = stackalloc byte[12];
            source.GetAddressBytes().CopyTo(pseudo);
            destination.GetAddressBytes().CopyTo(pseudo[4..]);
            pseudo[9] = transport.Protocol;
            BinaryPrimitives.WriteUInt16BigEndian(pseudo[10..], (ushort)transport.Segment.Length);
            FillTransportChecksum(packet.AsSpan(headerBytes), transport.Protocol, pseudo);
        }

        return packet;
    }

    public static byte[] IPv6Packet(
        IPAddress source,
        IPAddress destination,
        List<(byte Type, byte[] Body)> extensionHeaders,
        (byte Protocol, byte[] Segment, bool Checksummed) transport)
    {
        int extensionBytes = extensionHeaders.Sum(h => h.Body.Length + 2);
        byte[] packet = new byte[40 + extensionBytes + transport.Segment.Length];
        packet[0] = 0x60;
        BinaryPrimitives.WriteUInt16BigEndian(packet.AsSpan(4), (ushort)(packet.Length - 40));
        packet[6] = extensionHeaders.Count > 0 ? extensionHeaders[0].Type : transport.Protocol;
        packet[7] = 64;
        byte[] pseudoSource = source.GetAddressBytes();
        byte[] pseudoDestination = destination.GetAddressBytes();
        pseudoSource.CopyTo(packet, 8);
        pseudoDestination.CopyTo(packet, 24);

        int offset = 40;
        for (int i = 0; i < extensionHeaders.Count; i++)
        {
            var (type, body) = extensionHeaders[i];
            packet[offset] = i + 1 < extensionHeaders.Count ? extensionHeaders[i + 1].Type : transport.Protocol;
            int totalBytes = body.Length + 2;
            packet[offset + 1] = (byte)(type == IpProtocol.AuthenticationHeader ? (totalBytes / 4) - 2 : (totalBytes / 8) - 1);
            body.CopyTo(packet, offset + 2);

            // RFC 6275 §6.3/§6.4 and RFC 8200 §8.1: the pseudo header uses the home address and the final destination.
            if (type == IpProtocol.DestinationOptions && FindHomeAddress(body) is { } home)
            {
                pseudoSource = home;
            }
            else if (type == IpProtocol.Routing && body[0] == IpProtocol.RoutingType2 && body.Length >= 22)
            {
                pseudoDestination = body[6..22];
            }

            offset += totalBytes;
        }

        transport.Segment.CopyTo(packet, offset);
        if (transport.Checksummed)
        {
            Span<byte> pseudo = stackalloc byte[40];
            pseudoSource.CopyTo(pseudo);
            pseudoDestination.CopyTo(pseudo[16..]);
            BinaryPrimitives.WriteUInt32BigEndian(pseudo[32..], (uint)transport.Segment.Length);
            pseudo[39] = transport.Protocol;
            FillTransportChecksum(packet.AsSpan(offset), transport.Protocol, pseudo);
        }

        return packet;
    }

    /// <summary>A TCP (20 bytes) or UDP (8 bytes) header followed by <paramref name="body"/>; checksum left 0.</summary>
    public static byte[] TransportHeader(byte protocol, ushort sourcePort, ushort destinationPort, byte[] body)
    {
        int headerBytes = protocol == IpProtocol.Tcp ? 20 : 8;
        byte[] segment = new byte[headerBytes + body.Length];
        BinaryPrimitives.WriteUInt16BigEndian(segment, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(2), destinationPort);
        if (protocol == IpProtocol.Tcp)
        {
            BinaryPrimitives.WriteUInt32BigEndian(segment.AsSpan(4), 1);
            segment[12] = 5 << 4;
            segment[13] = 0x18;
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(14), 0xFFFF);
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(segment.AsSpan(4), (ushort)segment.Length);
        }

        body.CopyTo(segment, headerBytes);
        return segment;
    }

    /// <summary>RFC 1071 one's complement sum of <paramref name="bytes"/> added to <paramref name="initial"/>, complemented.</summary>
    public static ushort InternetChecksum(uint initial, ReadOnlySpan<byte> bytes)
    {
        uint sum = initial;
        int i = 0;
        for (; i + 1 < bytes.Length; i += 2)
        {
            sum += BinaryPrimitives.ReadUInt16BigEndian(bytes[i..]);
        }

        if (i < bytes.Length)
        {
            sum += (uint)bytes[i] << 8;
        }

        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)~sum;
    }

    private static void FillTransportChecksum(Span<byte> segment, byte protocol, ReadOnlySpan<byte> pseudoHeader)
    {
        uint pseudoSum = (ushort)~InternetChecksum(0, pseudoHeader);
        ushort checksum = InternetChecksum(pseudoSum, segment);
        if (protocol == IpProtocol.Udp && checksum == 0)
        {
            checksum = 0xFFFF; // RFC 768: a computed 0 is sent as all ones.
        }

        BinaryPrimitives.WriteUInt16BigEndian(segment[(protocol == IpProtocol.Tcp ? 16 : 6)..], checksum);
    }

    private static byte[]? FindHomeAddress(byte[] optionsBody)
    {
        int position = 0;
        while (position + 2 <= optionsBody.Length)
        {
            if (optionsBody[position] == 0)
            {
                position++;
                continue;
            }

            int dataBytes = optionsBody[position + 1];
            if (optionsBody[position] == IpProtocol.HomeAddressOption && dataBytes == 16 && position + 18 <= optionsBody.Length)
            {
                return optionsBody[(position + 2)..(position + 18)];
            }

            position += 2 + dataBytes;
        }

        return null;
    }
}
