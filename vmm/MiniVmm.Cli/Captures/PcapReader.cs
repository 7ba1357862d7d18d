using System.Buffers.Binary;

namespace MiniVmm.Cli.Captures;

/// <summary>
/// The classic libpcap format: a 24-byte file header (magic, version 2.4, snap length, link type)
/// and records of a 16-byte header (seconds, sub-seconds, captured length, original length) and the
/// captured bytes. The magic's byte order is the file's.
/// </summary>
internal static class PcapReader
{
    public const uint MagicMicroseconds = 0xa1b2c3d4;
    public const uint MagicNanoseconds = 0xa1b23c4d;
    public const uint MagicMicrosecondsSwapped = 0xd4c3b2a1;
    public const uint MagicNanosecondsSwapped = 0x4d3cb2a1;

    private const int FileHeaderBytes = 24;
    private const int RecordHeaderBytes = 16;

    public static List<CapturedFrame> Read(ReadOnlySpan<byte> file, string name)
    {
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(file);
        bool bigEndian = magic is MagicMicrosecondsSwapped or MagicNanosecondsSwapped;
        if (file.Length < FileHeaderBytes)
            throw new CaptureFormatException($"capture {name}: truncated pcap file header ({file.Length} of {FileHeaderBytes} bytes)");
        ushort major = U16(file[4..], bigEndian);
        if (major != 2) throw new CaptureFormatException($"capture {name}: pcap version {major}.{U16(file[6..], bigEndian)}, expected 2.4");
        // The link type is the low 16 bits; the upper bits may carry an FCS length (pcap-savefile(5)).
        uint linkType = U32(file[20..], bigEndian) & 0xffff;
        if (linkType != LinkType.Ethernet)
            throw new CaptureFormatException($"capture {name}: {LinkType.Describe(linkType)}; only Ethernet captures are supported");

        var frames = new List<CapturedFrame>();
        int offset = FileHeaderBytes;
        while (offset < file.Length)
        {
            int number = frames.Count + 1;
            if (file.Length - offset < RecordHeaderBytes)
                throw new CaptureFormatException($"capture {name}: truncated: record {number} header at byte {offset} has {file.Length - offset} of {RecordHeaderBytes} bytes");
            uint captured = U32(file[(offset + 8)..], bigEndian);
            uint original = U32(file[(offset + 12)..], bigEndian);
            if (captured > CaptureFile.MaxFrameBytes)
                throw new CaptureFormatException($"capture {name}: corrupt: record {number} at byte {offset} claims {captured} captured bytes (at most {CaptureFile.MaxFrameBytes})");
            int data = offset + RecordHeaderBytes;
            if (file.Length - data < captured)
                throw new CaptureFormatException($"capture {name}: truncated: record {number} at byte {offset} needs {captured} bytes, {file.Length - data} left");
            frames.Add(new CapturedFrame(number, file.Slice(data, (int)captured).ToArray(), (int)Math.Min(Math.Max(original, captured), int.MaxValue)));
            offset = data + (int)captured;
        }
        return frames;
    }

    private static ushort U16(ReadOnlySpan<byte> s, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s);

    private static uint U32(ReadOnlySpan<byte> s, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(s) : BinaryPrimitives.ReadUInt32LittleEndian(s);
}
