using System.Runtime.CompilerServices;
using MiniVmm.Rss.Packets;

namespace MiniVmm.Rss;

/// <summary>
/// The managed RSS engine: classify a received frame, pick the hash type and fields as virtio 1.2
/// §5.1.6.4.3 says, Toeplitz-hash them and pick the queue as §5.1.6.5.7.3 says. Allocation-free;
/// any byte sequence is safe input.
/// </summary>
public static class RssHasher
{
    /// <summary>Size of the buffer <see cref="Classify"/> needs: the longest hash input (IPv6 + ports).</summary>
    public const int MaxInputBytes = ToeplitzKey.MaxInputBytes;

    /// <summary>Hash value, report type and receive queue for <paramref name="frame"/> under <paramref name="config"/>.</summary>
    public static RssResult Compute(ReadOnlySpan<byte> frame, RssConfiguration config)
    {
        if (TryComputeCommon(frame, config, out RssResult common))
        {
            return common;
        }

        ParsedFrame parsed = default;
        FrameParser.Parse(frame, ref parsed);
        VirtioNetHashReport report = Select(parsed.Network, parsed.Transport, parsed.HasIPv6ExtensionHeaders, config.HashTypes);
        if (report == VirtioNetHashReport.None)
        {
            // §5.1.6.5.7.3: "If the device did not calculate the hash for the specific packet, the device
            // directs the packet to the receiveq specified by unclassified_queue".
            return new RssResult(0, VirtioNetHashReport.None, config.UnclassifiedQueue);
        }

        // Hash the fields where they lie in the frame (no copy): Toeplitz of a concatenation is the XOR
        // of each part's contribution at its position. Same input as Classify writes out.
        ToeplitzKey key = config.Toeplitz;
        int addressBytes = parsed.Network == NetworkLayer.IPv4 ? 4 : 16;
        GetAddressOffsets(parsed, report, out int source, out int destination);
        uint hash = key.HashAt(frame.Slice(source, addressBytes), 0) ^ key.HashAt(frame.Slice(destination, addressBytes), addressBytes);
        if (HasPorts(report))
        {
            hash ^= key.HashAt(frame.Slice(parsed.TransportOffset, 4), 2 * addressBytes);
        }

        return new RssResult(hash, report, QueueFor(hash, config));
    }

    /// <summary>
    /// The frames a receive queue mostly sees, in one pass: untagged Ethernet, then IPv4 with a
    /// 20-byte header that is not a fragment, or IPv6 with TCP or UDP right after its fixed header,
    /// then a whole TCP (20 bytes) or UDP (8 bytes) header, its hash type enabled. There source
    /// address, destination address and ports lie back to back in the frame (12 bytes from offset
    /// 26, or 36 from 22), which is exactly the hash input of TCPv4/UDPv4 (§5.1.6.4.3.2) and
    /// TCPv6/UDPv6 (§5.1.6.4.3.3): one lookup run over them. Anything else, a disabled type
    /// included, returns false and takes the general path, which gives these frames the same result.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool TryComputeCommon(ReadOnlySpan<byte> frame, RssConfiguration config, out RssResult result)
    {
        const int Ethernet = 14, Udp = 8, Tcp = 20;
        result = default;
        if (frame.Length < Ethernet + 20 + Udp)
        {
            return false;
        }

        VirtioNetHashTypes types = config.HashTypes;
        ushort etherType = (ushort)((frame[12] << 8) | frame[13]);
        int start, length;
        VirtioNetHashReport report;
        if (etherType == EtherType.IPv4)
        {
            // Version 4, header length 5 words; flags and fragment offset: neither MF nor an offset.
            if (frame[14] != 0x45 || ((frame[20] & 0x3F) | frame[21]) != 0)
            {
                return false;
            }

            (start, length) = (Ethernet + 12, 12);
            byte protocol = frame[Ethernet + 9];
            if (protocol == IpProtocol.Tcp && frame.Length >= Ethernet + 20 + Tcp && (types & VirtioNetHashTypes.TcpV4) != 0) report = VirtioNetHashReport.TcpV4;
            else if (protocol == IpProtocol.Udp && (types & VirtioNetHashTypes.UdpV4) != 0) report = VirtioNetHashReport.UdpV4;
            else return false;
        }
        else if (etherType == EtherType.IPv6)
        {
            if (frame.Length < Ethernet + 40 + Udp || (frame[14] >> 4) != 6)
            {
                return false;
            }

            (start, length) = (Ethernet + 8, 36);
            byte next = frame[Ethernet + 6];
            if (next == IpProtocol.Tcp && frame.Length >= Ethernet + 40 + Tcp && (types & VirtioNetHashTypes.TcpV6) != 0) report = VirtioNetHashReport.TcpV6;
            else if (next == IpProtocol.Udp && (types & VirtioNetHashTypes.UdpV6) != 0) report = VirtioNetHashReport.UdpV6;
            else return false;
        }
        else
        {
            return false;
        }

        uint hash = config.Toeplitz.HashAt(frame.Slice(start, length), 0);
        result = new RssResult(hash, report, QueueFor(hash, config));
        return true;
    }

    /// <summary>
    /// §5.1.6.5.7.3: "Apply indirection_table_mask to the calculated hash and use the result as the index in
    /// the indirection table". The mask is the table length minus one; an empty table (never accepted from
    /// a driver) sends everything to the unclassified queue rather than failing.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static ushort QueueFor(uint hash, RssConfiguration config)
    {
        ushort[] table = config.IndirectionTable;
        return table.Length == 0
            ? config.UnclassifiedQueue
            : table[(int)(hash & (uint)(table.Length - 1))];
    }

    /// <summary>
    /// Chooses the hash type for <paramref name="frame"/> among <paramref name="types"/> and writes the bytes
    /// to hash into <paramref name="input"/> (at least <see cref="MaxInputBytes"/> long). Returns the report
    /// code of the chosen type (None, with <paramref name="inputLength"/> 0, when nothing is hashed).
    /// </summary>
    public static VirtioNetHashReport Classify(ReadOnlySpan<byte> frame, VirtioNetHashTypes types, Span<byte> input, out int inputLength)
    {
        if (input.Length < MaxInputBytes)
        {
            throw new ArgumentException($"needs {MaxInputBytes} bytes", nameof(input));
        }

        ParsedFrame parsed = default;
        FrameParser.Parse(frame, ref parsed);
        VirtioNetHashReport report = Select(parsed.Network, parsed.Transport, parsed.HasIPv6ExtensionHeaders, types);
        inputLength = 0;
        if (report == VirtioNetHashReport.None)
        {
            return report;
        }

        int addressBytes = parsed.Network == NetworkLayer.IPv4 ? 4 : 16;
        GetAddressOffsets(parsed, report, out int source, out int destination);
        frame.Slice(source, addressBytes).CopyTo(input);
        frame.Slice(destination, addressBytes).CopyTo(input[addressBytes..]);
        inputLength = 2 * addressBytes;
        if (HasPorts(report))
        {
            // Source port then destination port, both big-endian as on the wire (TCP and UDP alike).
            frame.Slice(parsed.TransportOffset, 4).CopyTo(input[inputLength..]);
            inputLength += 4;
        }

        return report;
    }

    /// <summary>
    /// The hash type virtio 1.2 §5.1.6.4.3.2–4 picks for a parsed frame under the enabled
    /// <paramref name="types"/> (None: "the device does not calculate the hash").
    /// </summary>
    public static VirtioNetHashReport SelectHashType(in FrameHeaders headers, VirtioNetHashTypes types) =>
        Select(headers.Network, headers.Transport, headers.HasIPv6ExtensionHeaders, types);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static VirtioNetHashReport Select(NetworkLayer network, TransportLayer transport, bool hasExtensionHeaders, VirtioNetHashTypes types)
    {
        bool tcp = transport == TransportLayer.Tcp;
        bool udp = transport == TransportLayer.Udp;
        switch (network)
        {
            case NetworkLayer.IPv4:
                // §5.1.6.4.3.2: TCPv4 if set and TCP header, else UDPv4 if set and UDP header, else IPv4 if set.
                if (tcp && (types & VirtioNetHashTypes.TcpV4) != 0) return VirtioNetHashReport.TcpV4;
                if (udp && (types & VirtioNetHashTypes.UdpV4) != 0) return VirtioNetHashReport.UdpV4;
                if ((types & VirtioNetHashTypes.IPv4) != 0) return VirtioNetHashReport.IPv4;
                return VirtioNetHashReport.None;

            case NetworkLayer.IPv6:
                if (hasExtensionHeaders)
                {
                    // §5.1.6.4.3.4: TCP_EX, else UDP_EX, else IP_EX, "Else skip IPv6 extension headers and
                    // calculate the hash as defined for an IPv6 packet without extension headers".
                    if (tcp && (types & VirtioNetHashTypes.TcpV6Ex) != 0) return VirtioNetHashReport.TcpV6Ex;
                    if (udp && (types & VirtioNetHashTypes.UdpV6Ex) != 0) return VirtioNetHashReport.UdpV6Ex;
                    if ((types & VirtioNetHashTypes.IPv6Ex) != 0) return VirtioNetHashReport.IPv6Ex;
                }

                // §5.1.6.4.3.3: TCPv6, else UDPv6, else IPv6.
                if (tcp && (types & VirtioNetHashTypes.TcpV6) != 0) return VirtioNetHashReport.TcpV6;
                if (udp && (types & VirtioNetHashTypes.UdpV6) != 0) return VirtioNetHashReport.UdpV6;
                if ((types & VirtioNetHashTypes.IPv6) != 0) return VirtioNetHashReport.IPv6;
                return VirtioNetHashReport.None;

            default:
                return VirtioNetHashReport.None;
        }
    }

    /// <summary>The hash type bit of a report code: §5.1.6.4.4 "VIRTIO_NET_HASH_TYPE_XXX = 1 &lt;&lt; (VIRTIO_NET_HASH_REPORT_XXX - 1)".</summary>
    public static VirtioNetHashTypes TypeOf(VirtioNetHashReport report) =>
        report is > VirtioNetHashReport.None and <= VirtioNetHashReport.UdpV6Ex
            ? (VirtioNetHashTypes)(1u << ((int)report - 1))
            : VirtioNetHashTypes.None;

    /// <summary>
    /// §5.1.6.4.3.4: the _EX types hash the home address option's address instead of the source and the
    /// type-2 routing header's address instead of the destination, each only when present.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void GetAddressOffsets(in ParsedFrame parsed, VirtioNetHashReport report, out int source, out int destination)
    {
        source = parsed.SourceAddressOffset;
        destination = parsed.DestinationAddressOffset;
        if (report >= VirtioNetHashReport.IPv6Ex)
        {
            if (parsed.HomeAddressOffset >= 0)
            {
                source = parsed.HomeAddressOffset;
            }

            if (parsed.RoutingType2AddressOffset >= 0)
            {
                destination = parsed.RoutingType2AddressOffset;
            }
        }
    }

    /// <summary>Whether a type hashes the source and destination ports (the TCP and UDP types).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool HasPorts(VirtioNetHashReport report) =>
        report is not (VirtioNetHashReport.IPv4 or VirtioNetHashReport.IPv6 or VirtioNetHashReport.IPv6Ex);
}
