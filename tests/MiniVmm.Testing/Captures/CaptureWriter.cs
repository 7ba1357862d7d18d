using System.Buffers.Binary;

namespace MiniVmm.Testing.Captures;

/// <summary>
/// Writes capture files for tests, independently of the reader under test: classic pcap
/// (pcap-savefile(5): 24-byte header, 16-byte record headers; microsecond or nanosecond magic, either
/// byte order) and pcapng (draft-ietf-opsawg-pcapng: section header, one interface description per
/// link type given, enhanced or simple packet blocks, either byte order).
/// </summary>
public static class CaptureWriter
{
    public const uint Ethernet = 1;

    public static byte[] Pcap(IEnumerable<byte[]> frames, bool bigEndian = false, bool nanoseconds = false, uint linkType = Ethernet, int snapLength = 65535)
    {
        var file = new List<byte>();
        U32(file, nanoseconds ? 0xa1b23c4du : 0xa1b2c3d4u, bigEndian);
        U16(file, 2, bigEndian);
        U16(file, 4, bigEndian);
        U32(file, 0, bigEndian);                 // thiszone
        U32(file, 0, bigEndian);                 // sigfigs
        U32(file, (uint)snapLength, bigEndian);
        U32(file, linkType, bigEndian);
        uint second = 1_700_000_000;
        foreach (byte[] frame in frames)
        {
            int kept = Math.Min(frame.Length, snapLength);
            U32(file, second++, bigEndian);
            U32(file, 123, bigEndian);
            U32(file, (uint)kept, bigEndian);
            U32(file, (uint)frame.Length, bigEndian);
            file.AddRange(frame.AsSpan(0, kept).ToArray());
        }
        return file.ToArray();
    }

    /// <summary>pcapng with one interface per entry of <paramref name="linkTypes"/>; each frame names its interface.</summary>
    public static byte[] Pcapng(IEnumerable<(int Interface, byte[] Frame)> frames, uint[] linkTypes, bool bigEndian = false, bool simplePackets = false)
    {
        var file = new List<byte>();
        // Section header: byte-order magic, version 1.0, section length unknown (-1), no options.
        Block(file, 0x0A0D0D0A, bigEndian, body =>
        {
            U32(body, 0x1A2B3C4D, bigEndian);
            U16(body, 1, bigEndian);
            U16(body, 0, bigEndian);
            U32(body, 0xffffffff, bigEndian);
            U32(body, 0xffffffff, bigEndian);
        });
        foreach (uint linkType in linkTypes)
        {
            Block(file, 1, bigEndian, body =>
            {
                U16(body, (ushort)linkType, bigEndian);
                U16(body, 0, bigEndian);
                U32(body, 0, bigEndian); // no snap length limit
            });
        }
        foreach (var (iface, frame) in frames)
        {
            if (simplePackets)
            {
                Block(file, 3, bigEndian, body =>
                {
                    U32(body, (uint)frame.Length, bigEndian);
                    Padded(body, frame);
                });
            }
            else
            {
                Block(file, 6, bigEndian, body =>
                {
                    U32(body, (uint)iface, bigEndian);
                    U32(body, 0x0005f000, bigEndian);
                    U32(body, 0x12345678, bigEndian);
                    U32(body, (uint)frame.Length, bigEndian);
                    U32(body, (uint)frame.Length, bigEndian);
                    Padded(body, frame);
                });
            }
        }
        return file.ToArray();
    }

    public static byte[] Pcapng(IEnumerable<byte[]> frames, bool bigEndian = false, bool simplePackets = false) =>
        Pcapng(frames.Select(f => (0, f)), [Ethernet], bigEndian, simplePackets);

    private static void Block(List<byte> file, uint type, bool bigEndian, Action<List<byte>> writeBody)
    {
        var body = new List<byte>();
        writeBody(body);
        uint total = (uint)(12 + body.Count);
        U32(file, type, bigEndian);
        U32(file, total, bigEndian);
        file.AddRange(body);
        U32(file, total, bigEndian);
    }

    private static void Padded(List<byte> body, byte[] data)
    {
        body.AddRange(data);
        while (body.Count % 4 != 0) body.Add(0);
    }

    private static void U16(List<byte> to, ushort value, bool bigEndian)
    {
        Span<byte> b = stackalloc byte[2];
        if (bigEndian) BinaryPrimitives.WriteUInt16BigEndian(b, value); else BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        to.AddRange(b.ToArray());
    }

    private static void U32(List<byte> to, uint value, bool bigEndian)
    {
        Span<byte> b = stackalloc byte[4];
        if (bigEndian) BinaryPrimitives.WriteUInt32BigEndian(b, value); else BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        to.AddRange(b.ToArray());
    }
}
