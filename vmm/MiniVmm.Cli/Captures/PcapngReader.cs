using System.Buffers.Binary;

namespace MiniVmm.Cli.Captures;

/// <summary>
/// pcapng (draft-ietf-opsawg-pcapng): blocks of type, total length, body, total length again. A
/// Section Header Block (its byte-order magic sets the section's byte order) starts each section;
/// Interface Description Blocks give each interface's link type; packets come in Enhanced Packet
/// Blocks (§4.3), Simple Packet Blocks (§4.4, interface 0) and the obsolete Packet Block; other
/// blocks (statistics, name resolution, custom) are skipped.
/// </summary>
internal static class PcapngReader
{
    public const uint SectionHeaderType = 0x0A0D0D0A;
    private const uint ByteOrderMagic = 0x1A2B3C4D;
    private const uint InterfaceDescriptionType = 1;
    private const uint ObsoletePacketType = 2;
    private const uint SimplePacketType = 3;
    private const uint EnhancedPacketType = 6;

    public static List<CapturedFrame> Read(ReadOnlySpan<byte> file, string name)
    {
        var frames = new List<CapturedFrame>();
        var interfaces = new List<(uint LinkType, uint SnapLength)>();
        bool bigEndian = false;
        int offset = 0;
        while (offset < file.Length)
        {
            if (file.Length - offset < 12)
                throw new CaptureFormatException($"capture {name}: truncated: block at byte {offset} has {file.Length - offset} of at least 12 bytes");
            uint type = U32(file[offset..], bigEndian);
            if (type == SectionHeaderType)
            {
                // The byte-order magic follows the length, so it is read first (§4.1).
                uint magic = BinaryPrimitives.ReadUInt32LittleEndian(file[(offset + 8)..]);
                if (magic == ByteOrderMagic) bigEndian = false;
                else if (BinaryPrimitives.ReverseEndianness(magic) == ByteOrderMagic) bigEndian = true;
                else throw new CaptureFormatException($"capture {name}: corrupt: section header at byte {offset} has byte-order magic 0x{magic:x8}");
                interfaces.Clear();
            }
            else if (offset == 0)
            {
                throw new CaptureFormatException($"capture {name}: not a pcapng file (no section header block first)");
            }

            uint total = U32(file[(offset + 4)..], bigEndian);
            if (total < 12 || total % 4 != 0)
                throw new CaptureFormatException($"capture {name}: corrupt: block at byte {offset} has total length {total} (at least 12, a multiple of 4)");
            if (total > file.Length - offset)
                throw new CaptureFormatException($"capture {name}: truncated: block at byte {offset} needs {total} bytes, {file.Length - offset} left");
            ReadOnlySpan<byte> block = file.Slice(offset, (int)total);
            if (U32(block[^4..], bigEndian) != total)
                throw new CaptureFormatException($"capture {name}: corrupt: block at byte {offset}: its trailing length {U32(block[^4..], bigEndian)} is not {total}");
            ReadOnlySpan<byte> body = block[8..^4];

            switch (type)
            {
                case SectionHeaderType:
                    if (body.Length < 16) throw Corrupt(name, offset, "section header", body.Length, 16);
                    ushort major = U16(body[4..], bigEndian);
                    if (major != 1) throw new CaptureFormatException($"capture {name}: section header at byte {offset}: version {major}, expected 1.0");
                    break;
                case InterfaceDescriptionType:
                    if (body.Length < 8) throw Corrupt(name, offset, "interface description", body.Length, 8);
                    interfaces.Add((U16(body, bigEndian), U32(body[4..], bigEndian)));
                    break;
                case EnhancedPacketType:
                    if (body.Length < 20) throw Corrupt(name, offset, "enhanced packet", body.Length, 20);
                    frames.Add(Packet(name, offset, frames.Count + 1, interfaces, U32(body, bigEndian), U32(body[12..], bigEndian), U32(body[16..], bigEndian), body[20..]));
                    break;
                case ObsoletePacketType:
                    if (body.Length < 20) throw Corrupt(name, offset, "packet", body.Length, 20);
                    frames.Add(Packet(name, offset, frames.Count + 1, interfaces, U16(body, bigEndian), U32(body[12..], bigEndian), U32(body[16..], bigEndian), body[20..]));
                    break;
                case SimplePacketType:
                    if (body.Length < 4) throw Corrupt(name, offset, "simple packet", body.Length, 4);
                    uint original = U32(body, bigEndian);
                    // §4.4: the captured length is the original length cut to interface 0's snap length, and to what the block holds.
                    uint snap = interfaces.Count > 0 && interfaces[0].SnapLength > 0 ? interfaces[0].SnapLength : uint.MaxValue;
                    uint captured = Math.Min(Math.Min(original, snap), (uint)(body.Length - 4));
                    frames.Add(Packet(name, offset, frames.Count + 1, interfaces, 0, captured, original, body[4..]));
                    break;
            }
            offset += (int)total;
        }
        return frames;
    }

    private static CapturedFrame Packet(string name, int offset, int number, List<(uint LinkType, uint SnapLength)> interfaces,
        uint interfaceId, uint captured, uint original, ReadOnlySpan<byte> data)
    {
        if (interfaceId >= interfaces.Count)
            throw new CaptureFormatException($"capture {name}: corrupt: packet {number} at byte {offset} names interface {interfaceId}, {interfaces.Count} described");
        uint linkType = interfaces[(int)interfaceId].LinkType;
        if (linkType != LinkType.Ethernet)
            throw new CaptureFormatException($"capture {name}: packet {number} is on interface {interfaceId}, {LinkType.Describe(linkType)}; only Ethernet captures are supported");
        if (captured > data.Length || captured > CaptureFile.MaxFrameBytes)
            throw new CaptureFormatException($"capture {name}: corrupt: packet {number} at byte {offset} claims {captured} captured bytes, its block holds {data.Length}");
        return new CapturedFrame(number, data[..(int)captured].ToArray(), (int)Math.Min(Math.Max(original, captured), int.MaxValue));
    }

    private static CaptureFormatException Corrupt(string name, int offset, string what, int length, int minimum) =>
        new($"capture {name}: corrupt: {what} block at byte {offset} has a {length}-byte body (at least {minimum})");

    private static ushort U16(ReadOnlySpan<byte> s, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);

    private static uint U32(ReadOnlySpan<byte> s, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
}
