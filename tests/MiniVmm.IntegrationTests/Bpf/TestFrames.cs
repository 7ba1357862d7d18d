using System.Buffers.Binary;
using System.Net;

namespace MiniVmm.IntegrationTests.Bpf;

/// <summary>
/// Builds Ethernet frames for the steering tests, byte by byte from the RFCs (test-only; the
/// product FrameBuilder lives in MiniVmm.Rss.Packets). Frames end with the probe
/// protocol's marker ("MVID" and a big-endian u32 id) when built with an id.
/// </summary>
public sealed class TestFrames
{
    public const byte Tcp = 6, Udp = 17, Icmp = 1;

    private readonly List<byte> _bytes = [];

    public static readonly byte[] DestinationMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x02];
    public static readonly byte[] SourceMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];

    /// <summary>Ethernet header; each tag is (TPID, VID), outermost first; then the EtherType.</summary>
    public static TestFrames Ethernet(ushort etherType, params (ushort Tpid, ushort Vid)[] tags)
    {
        var f = new TestFrames();
        f._bytes.AddRange(DestinationMac);
        f._bytes.AddRange(SourceMac);
        foreach (var (tpid, vid) in tags)
        {
            f.U16(tpid);
            f.U16(vid);
        }
        f.U16(etherType);
        return f;
    }

    /// <summary>IPv4 header (RFC 791) with <paramref name="optionWords"/> 4-byte NOP option words.</summary>
    public TestFrames IPv4(string source, string destination, byte protocol, int optionWords = 0,
        bool moreFragments = false, ushort fragmentOffset = 0)
    {
        int ihl = 5 + optionWords;
        _bytes.Add((byte)(0x40 | ihl));
        _bytes.Add(0);
        U16(0);                   // total length: not used by the classifier
        U16(0x1234);
        U16((ushort)((moreFragments ? 0x2000 : 0) | (fragmentOffset & 0x1fff)));
        _bytes.Add(64);
        _bytes.Add(protocol);
        U16(0);
        _bytes.AddRange(IPAddress.Parse(source).GetAddressBytes());
        _bytes.AddRange(IPAddress.Parse(destination).GetAddressBytes());
        for (int i = 0; i < optionWords * 4; i++) _bytes.Add(1); // NOP
        return this;
    }

    /// <summary>IPv6 fixed header (RFC 8200).</summary>
    public TestFrames IPv6(string source, string destination, byte nextHeader)
    {
        U32(0x60000000);
        U16(0);
        _bytes.Add(nextHeader);
        _bytes.Add(64);
        _bytes.AddRange(IPAddress.Parse(source).GetAddressBytes());
        _bytes.AddRange(IPAddress.Parse(destination).GetAddressBytes());
        return this;
    }

    /// <summary>Hop-by-hop options header with PadN filling 8 bytes.</summary>
    public TestFrames HopByHop(byte nextHeader)
    {
        _bytes.AddRange([nextHeader, 0, 1, 4, 0, 0, 0, 0]);
        return this;
    }

    /// <summary>A generic extension header (RFC 8200 §4 layout: next header, length in 8-byte units - 1), zero-filled.</summary>
    public TestFrames Extension(byte nextHeader, byte hdrExtLen = 0)
    {
        _bytes.Add(nextHeader);
        _bytes.Add(hdrExtLen);
        for (int i = 0; i < (hdrExtLen + 1) * 8 - 2; i++) _bytes.Add(0);
        return this;
    }

    /// <summary>Destination options header carrying the Home Address option (RFC 6275 §6.3), after Pad1s.</summary>
    public TestFrames DestinationOptionsWithHomeAddress(byte nextHeader, string homeAddress, int pad1Count = 2)
    {
        // next, len, pad1 x n, HAO(type 201, len 16, address), then PadN to a multiple of 8
        var body = new List<byte>();
        for (int i = 0; i < pad1Count; i++) body.Add(0);
        body.Add(201);
        body.Add(16);
        body.AddRange(IPAddress.Parse(homeAddress).GetAddressBytes());
        int total = 2 + body.Count;
        int padded = (total + 7) / 8 * 8;
        int pad = padded - total;
        if (pad == 1) body.Add(0);
        else if (pad >= 2)
        {
            body.Add(1);
            body.Add((byte)(pad - 2));
            for (int i = 0; i < pad - 2; i++) body.Add(0);
        }
        _bytes.Add(nextHeader);
        _bytes.Add((byte)(padded / 8 - 1));
        _bytes.AddRange(body);
        return this;
    }

    /// <summary>Type 2 routing header (RFC 6275 §6.4): len 2, segments left 1, one address.</summary>
    public TestFrames RoutingType2(byte nextHeader, string address, byte routingType = 2, byte segmentsLeft = 1)
    {
        _bytes.AddRange([nextHeader, 2, routingType, segmentsLeft, 0, 0, 0, 0]);
        _bytes.AddRange(IPAddress.Parse(address).GetAddressBytes());
        return this;
    }

    /// <summary>Fragment header (RFC 8200 §4.5).</summary>
    public TestFrames Fragment(byte nextHeader, ushort offsetUnits, bool more)
    {
        _bytes.Add(nextHeader);
        _bytes.Add(0);
        U16((ushort)((offsetUnits << 3) | (more ? 1 : 0)));
        U32(0xabcd);
        return this;
    }

    /// <summary>A 20-byte TCP header.</summary>
    public TestFrames TcpHeader(ushort sourcePort, ushort destinationPort)
    {
        U16(sourcePort);
        U16(destinationPort);
        U32(1);
        U32(0);
        U16(0x5010);              // data offset 5, ACK
        U16(0xffff);
        U32(0);
        return this;
    }

    /// <summary>An 8-byte UDP header.</summary>
    public TestFrames UdpHeader(ushort sourcePort, ushort destinationPort)
    {
        U16(sourcePort);
        U16(destinationPort);
        U16(8 + 8);
        U16(0);
        return this;
    }

    public TestFrames Bytes(params byte[] bytes)
    {
        _bytes.AddRange(bytes);
        return this;
    }

    /// <summary>The frame as built so far, without a marker.</summary>
    public byte[] Build() => [.. _bytes];

    /// <summary>Ends the frame with "MVID" and <paramref name="id"/>.</summary>
    public byte[] BuildWithId(uint id)
    {
        _bytes.AddRange("MVID"u8.ToArray());
        U32(id);
        return [.. _bytes];
    }

    /// <summary>The id of a frame built by <see cref="Build"/>, or null if it has no marker.</summary>
    public static uint? IdOf(ReadOnlySpan<byte> frame)
    {
        if (frame.Length < 8 || !frame[^8..^4].SequenceEqual("MVID"u8)) return null;
        return BinaryPrimitives.ReadUInt32BigEndian(frame[^4..]);
    }

    private void U16(ushort v)
    {
        _bytes.Add((byte)(v >> 8));
        _bytes.Add((byte)v);
    }

    private void U32(uint v)
    {
        U16((ushort)(v >> 16));
        U16((ushort)v);
    }
}
