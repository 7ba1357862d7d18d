namespace MiniVmm.Virtio.Net.Rss;

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
        Span<byte> input = stackalloc byte[MaxInputBytes];
        VirtioNetHashReport report = Classify(frame, config.HashTypes, input, out int inputLength);
        if (report == VirtioNetHashReport.None)
        {
            // §5.1.6.5.7.3: "If the device did not calculate the hash for the specific packet, the device
            // directs the packet to the receiveq specified by unclassified_queue".
            return new RssResult(0, VirtioNetHashReport.None, config.UnclassifiedQueue);
        }

        uint hash = config.Toeplitz.Hash(input[..inputLength]);
        return new RssResult(hash, report, QueueFor(hash, config));
    }

    /// <summary>
    /// §5.1.6.5.7.3: "Apply indirection_table_mask to the calculated hash and use the result as the index in
    /// the indirection table". The mask is the table length minus one; an empty table (never accepted from
    /// a driver) sends everything to the unclassified queue rather than failing.
    /// </summary>
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

        FrameHeaders headers = FrameParser.Parse(frame);
        VirtioNetHashReport report = SelectHashType(headers, types);
        inputLength = WriteInput(frame, headers, report, input);
        return report;
    }

    /// <summary>
    /// The hash type virtio 1.2 §5.1.6.4.3.2–4 picks for a parsed frame under the enabled
    /// <paramref name="types"/> (None: "the device does not calculate the hash").
    /// </summary>
    public static VirtioNetHashReport SelectHashType(in FrameHeaders headers, VirtioNetHashTypes types)
    {
        bool tcp = headers.Transport == TransportLayer.Tcp;
        bool udp = headers.Transport == TransportLayer.Udp;
        switch (headers.Network)
        {
            case NetworkLayer.IPv4:
                // §5.1.6.4.3.2: TCPv4 if set and TCP header, else UDPv4 if set and UDP header, else IPv4 if set.
                if (tcp && (types & VirtioNetHashTypes.TcpV4) != 0) return VirtioNetHashReport.TcpV4;
                if (udp && (types & VirtioNetHashTypes.UdpV4) != 0) return VirtioNetHashReport.UdpV4;
                if ((types & VirtioNetHashTypes.IPv4) != 0) return VirtioNetHashReport.IPv4;
                return VirtioNetHashReport.None;

            case NetworkLayer.IPv6:
                if (headers.HasIPv6ExtensionHeaders)
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

    private static int WriteInput(ReadOnlySpan<byte> frame, in FrameHeaders headers, VirtioNetHashReport report, Span<byte> input)
    {
        if (report == VirtioNetHashReport.None)
        {
            return 0;
        }

        int addressBytes = headers.AddressBytes;
        int source = headers.SourceAddressOffset;
        int destination = headers.DestinationAddressOffset;
        bool extended = report is VirtioNetHashReport.IPv6Ex or VirtioNetHashReport.TcpV6Ex or VirtioNetHashReport.UdpV6Ex;
        if (extended)
        {
            // §5.1.6.4.3.4: the home address option's address, else the source; the type-2 routing header's
            // address, else the destination.
            source = headers.HomeAddressOffset >= 0 ? headers.HomeAddressOffset : source;
            destination = headers.RoutingType2AddressOffset >= 0 ? headers.RoutingType2AddressOffset : destination;
        }

        frame.Slice(source, addressBytes).CopyTo(input);
        frame.Slice(destination, addressBytes).CopyTo(input[addressBytes..]);
        int length = 2 * addressBytes;
        bool ports = report is VirtioNetHashReport.TcpV4 or VirtioNetHashReport.UdpV4 or VirtioNetHashReport.TcpV6
            or VirtioNetHashReport.UdpV6 or VirtioNetHashReport.TcpV6Ex or VirtioNetHashReport.UdpV6Ex;
        if (ports)
        {
            // Source port then destination port, both big-endian as on the wire (TCP and UDP alike).
            frame.Slice(headers.TransportOffset, 4).CopyTo(input[length..]);
            length += 4;
        }

        return length;
    }
}
