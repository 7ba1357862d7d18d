using System.Buffers.Binary;
using System.Net;
using MiniVmm.Rss.Packets;

namespace MiniVmm.IntegrationTests.Differential;

/// <summary>
/// A deterministic stream of frames for the managed-vs-BPF differential test: well-formed frames of
/// every kind the classifier distinguishes (built with the product <see cref="FrameBuilder"/>:
/// IPv4/IPv6 × TCP/UDP/other, 0-3 VLAN tags, IPv4 options and fragments, IPv6 extension header
/// chains with Home Address options, routing headers of type 2 and others, fragment headers, AH,
/// ESP, too many headers or options), then the same frames truncated, bit-flipped or with a header
/// byte overwritten by a value the parsers branch on, and plain random bytes.
/// </summary>
public sealed class DifferentialFrames(int seed)
{
    /// <summary>Values the parsers branch on: next headers, EtherType halves, versions, option types, lengths.</summary>
    private static readonly byte[] s_interesting =
    [
        0x00, 0xff, 0x01, 0x02, 0x04, 0x05, 0x06, 0x08, 0x10, 0x11, 0x16, 0x20, 0x1f, 0x2b, 0x2c, 0x32, 0x33, 0x3a, 0x3b,
        0x3c, 0x3f, 0x40, 0x45, 0x46, 0x4f, 0x60, 0x81, 0x86, 0x87, 0x88, 0x8b, 0x8c, 0x91, 0xa8, 0xc9, 0xdd, 0xfd, 0xfe,
    ];

    private static readonly ushort[] s_tagTypes = [EtherType.Vlan, EtherType.ServiceVlan, EtherType.Vlan, EtherType.ServiceVlan, 0x9100];

    private static readonly byte[] s_genericExtensionTypes =
        [IpProtocol.Mobility, IpProtocol.HostIdentity, IpProtocol.Shim6, IpProtocol.Experiment1, IpProtocol.Experiment2];

    private readonly Random _random = new(seed);

    public int Seed { get; } = seed;

    /// <summary>The next frame and a short description of how it was made (for failure messages).</summary>
    public byte[] Next(out string kind)
    {
        int r = _random.Next(100);
        if (r < 35) return WellFormed(out kind);
        if (r < 52)
        {
            byte[] valid = WellFormed(out string what);
            int length = _random.Next(4) == 0 ? _random.Next(valid.Length + 1) : _random.Next(Math.Min(valid.Length, HeaderBytes(valid)) + 1);
            kind = $"{what}, truncated to {length}";
            return valid[..length];
        }
        if (r < 72)
        {
            byte[] frame = WellFormed(out string what);
            int flips = 1 + _random.Next(3);
            var at = new List<string>();
            for (int i = 0; i < flips && frame.Length > 0; i++)
            {
                int offset = HeaderOffset(frame);
                int bit = _random.Next(8);
                frame[offset] ^= (byte)(1 << bit);
                at.Add($"{offset}.{bit}");
            }
            kind = $"{what}, bits flipped at {string.Join(' ', at)}";
            return frame;
        }
        if (r < 88)
        {
            byte[] frame = WellFormed(out string what);
            if (frame.Length == 0) { kind = what; return frame; }
            int offset = HeaderOffset(frame);
            frame[offset] = s_interesting[_random.Next(s_interesting.Length)];
            kind = $"{what}, byte {offset} set to 0x{frame[offset]:x2}";
            return frame;
        }
        if (r < 94)
        {
            var frame = new byte[_random.Next(0, 200)];
            _random.NextBytes(frame);
            kind = "random bytes";
            return frame;
        }
        return RandomAfterIpEtherType(out kind);
    }

    /// <summary>Random bytes behind a valid EtherType (after 0-2 tags) and a matching IP version nibble.</summary>
    private byte[] RandomAfterIpEtherType(out string kind)
    {
        var frame = new byte[_random.Next(14, 160)];
        _random.NextBytes(frame);
        int offset = 12;
        int tags = _random.Next(3);
        for (int i = 0; i < tags && offset + 4 <= frame.Length - 2; i++, offset += 4)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset), s_tagTypes[_random.Next(2)]);
        }
        bool v6 = _random.Next(2) == 0;
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(offset), v6 ? EtherType.IPv6 : EtherType.IPv4);
        if (offset + 2 < frame.Length) frame[offset + 2] = (byte)((v6 ? 0x60 : 0x40) | (v6 ? frame[offset + 2] & 0x0f : 5 + _random.Next(11)));
        kind = $"random bytes after {tags} tags and {(v6 ? "IPv6" : "IPv4")}";
        return frame;
    }

    private byte[] WellFormed(out string kind)
    {
        var b = new FrameBuilder();
        int tagRoll = _random.Next(100);
        int tags = tagRoll < 60 ? 0 : tagRoll < 85 ? 1 : tagRoll < 97 ? 2 : 3;
        var tagNames = new List<string>();
        for (int i = 0; i < tags; i++)
        {
            ushort type = s_tagTypes[_random.Next(s_tagTypes.Length)];
            b.WithVlan((ushort)_random.Next(4096), type);
            tagNames.Add($"{type:x4}");
        }
        string prefix = tags == 0 ? "" : $"tags {string.Join('/', tagNames)} ";

        int family = _random.Next(100);
        if (family < 8) return NonIp(b, prefix, out kind);
        string layers = family < 50 ? IPv4(b) : IPv6(b);

        int payload = _random.Next(20) == 0 ? _random.Next(200, 1400) : _random.Next(0, 48);
        b.WithPayloadLength(payload);
        if (_random.Next(2) == 0) b.WithId((uint)_random.Next());
        kind = $"{prefix}{layers} payload {payload}";
        return b.Build();
    }

    private byte[] NonIp(FrameBuilder b, string prefix, out string kind)
    {
        byte[] frame = b.Arp(V4(), V4()).Build();
        int tagBytes = frame.Length - 14 - 28;
        switch (_random.Next(3))
        {
            case 0:
                kind = $"{prefix}ARP";
                break;
            case 1:
                // 802.3: a length instead of a type.
                ushort length = (ushort)_random.Next(0, EtherType.MinimumType);
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12 + tagBytes), length);
                kind = $"{prefix}802.3 length {length}";
                break;
            default:
                ushort type = (ushort)_random.Next(EtherType.MinimumType, 0x10000);
                BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(12 + tagBytes), type);
                kind = $"{prefix}EtherType {type:x4}";
                break;
        }
        return frame;
    }

    private string IPv4(FrameBuilder b)
    {
        b.IPv4(V4(), V4());
        string text = "IPv4";
        if (_random.Next(4) == 0)
        {
            var options = new byte[_random.Next(1, 41)];
            if (_random.Next(2) == 0) _random.NextBytes(options);
            else Array.Fill(options, (byte)1);
            b.WithIPv4Options(options);
            text += $" options {options.Length}";
        }
        if (_random.Next(5) == 0)
        {
            ushort offset = (ushort)(_random.Next(2) == 0 ? 0 : 8 * _random.Next(1, 1000));
            bool more = _random.Next(2) == 0;
            b.AsFragment(offset, more);
            text += $" fragment offset {offset} MF {(more ? 1 : 0)}";
        }
        return text + " " + Transport(b, IpProtocol.Icmp);
    }

    private string IPv6(FrameBuilder b)
    {
        b.IPv6(V6(), V6());
        var names = new List<string>();
        int headers = _random.Next(2) == 0 ? 0 : _random.Next(1, 11);
        int fragmentAt = _random.Next(5) == 0 ? _random.Next(headers + 1) : -1;
        for (int i = 0; i <= headers; i++)
        {
            if (i == fragmentAt)
            {
                ushort offset = (ushort)(_random.Next(2) == 0 ? 0 : 8 * _random.Next(1, 1000));
                bool more = _random.Next(2) == 0;
                b.AsFragment(offset, more);
                names.Add($"frag({offset},{(more ? 1 : 0)})");
            }
            if (i < headers) names.Add(ExtensionHeader(b));
        }
        string chain = names.Count == 0 ? "" : " " + string.Join(',', names);
        return "IPv6" + chain + " " + Transport(b, IpProtocol.IcmpV6);
    }

    private string ExtensionHeader(FrameBuilder b)
    {
        switch (_random.Next(12))
        {
            case 0: b.WithHopByHopOptions(); return "hbh";
            case 1: b.WithDestinationOptions(); return "dst";
            case 2 or 3: b.WithHomeAddress(V6()); return "hao";
            case 4 or 5: b.WithRoutingType2(V6()); return "rh2";
            case 6:
            {
                // A routing header that is not a valid type 2 one: another type, or segments left other than 1.
                var body = new byte[22];
                body[0] = (byte)(_random.Next(2) == 0 ? _random.Next(256) : IpProtocol.RoutingType2);
                body[1] = (byte)_random.Next(3);
                V6Bytes().CopyTo(body, 6);
                b.WithExtensionHeader(IpProtocol.Routing, body);
                return $"rh(type {body[0]},left {body[1]})";
            }
            case 7:
            {
                int length = 8 * _random.Next(1, 4) - 2;
                var body = new byte[length];
                _random.NextBytes(body);
                b.WithExtensionHeader(IpProtocol.AuthenticationHeader, body);
                return "ah";
            }
            case 8:
            {
                byte type = s_genericExtensionTypes[_random.Next(s_genericExtensionTypes.Length)];
                var body = new byte[8 * _random.Next(1, 4) - 2];
                b.WithExtensionHeader(type, body);
                return $"ext{type}";
            }
            default:
                return DestinationOptions(b);
        }
    }

    /// <summary>A Destination Options header with Pad1/PadN before a Home Address option that may be malformed or beyond 16 options.</summary>
    private string DestinationOptions(FrameBuilder b)
    {
        var body = new List<byte>();
        int pad1 = _random.Next(4) == 0 ? _random.Next(12, 20) : _random.Next(0, 4);
        for (int i = 0; i < pad1; i++) body.Add(0);
        if (_random.Next(3) == 0) body.AddRange([1, 2, 0, 0]);
        byte length = (byte)(_random.Next(4) == 0 ? _random.Next(0, 24) : 16);
        body.Add(_random.Next(6) == 0 ? (byte)0xC8 : IpProtocol.HomeAddressOption);
        body.Add(length);
        body.AddRange(V6Bytes());
        while ((body.Count + 2) % 8 != 0) body.Add(0);
        b.WithExtensionHeader(IpProtocol.DestinationOptions, body.ToArray());
        return $"dst(pad1 {pad1},hao len {length})";
    }

    private string Transport(FrameBuilder b, byte icmp)
    {
        ushort source = (ushort)_random.Next(65536), destination = (ushort)_random.Next(65536);
        switch (_random.Next(10))
        {
            case < 4: b.Tcp(source, destination); return $"TCP {source}>{destination}";
            case < 8: b.Udp(source, destination); return $"UDP {source}>{destination}";
            case 8: b.Protocol(icmp); return $"proto {icmp}";
            default:
                byte[] others = [IpProtocol.EncapsulatingSecurityPayload, IpProtocol.NoNextHeader, 132, 47, (byte)_random.Next(256)];
                byte p = others[_random.Next(others.Length)];
                b.Protocol(p);
                return $"proto {p}";
        }
    }

    /// <summary>An offset inside the headers most of the time (where mutations change decisions), else anywhere.</summary>
    private int HeaderOffset(byte[] frame) =>
        _random.Next(5) == 0 ? _random.Next(frame.Length) : _random.Next(Math.Min(frame.Length, HeaderBytes(frame)));

    /// <summary>A generous bound on the header bytes: Ethernet, tags, IPv6 and a long extension chain, TCP.</summary>
    private static int HeaderBytes(byte[] frame) => Math.Min(frame.Length, 22 + 40 + 200 + 20);

    private string V4() => new IPAddress(V4Bytes()).ToString();

    private byte[] V4Bytes()
    {
        var a = new byte[4];
        _random.NextBytes(a);
        return a;
    }

    private string V6() => new IPAddress(V6Bytes()).ToString();

    private byte[] V6Bytes()
    {
        var a = new byte[16];
        _random.NextBytes(a);
        return a;
    }
}
