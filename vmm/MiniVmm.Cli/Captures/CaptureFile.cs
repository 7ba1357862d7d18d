using System.Buffers.Binary;

namespace MiniVmm.Cli.Captures;

/// <summary>
/// Reads a capture file, pcap or pcapng (told apart by the first four bytes), whose frames are all
/// Ethernet. Everything is checked against the file's length before it is used; a problem throws
/// <see cref="CaptureFormatException"/> with one line naming the file, what is wrong and where.
/// </summary>
public static class CaptureFile
{
    /// <summary>Larger captures are refused rather than read into memory whole.</summary>
    public const long MaxFileBytes = 1L << 30;

    /// <summary>No frame of a real link is this large (a jumbo frame is 9 KiB, a GSO super-packet 64 KiB).</summary>
    public const int MaxFrameBytes = 256 * 1024;

    public static Capture Read(string path)
    {
        byte[] bytes;
        try
        {
            var info = new FileInfo(path);
            if (!info.Exists) throw new CaptureFormatException($"capture {path}: no such file");
            if (info.Length > MaxFileBytes) throw new CaptureFormatException($"capture {path}: {info.Length} bytes; at most {MaxFileBytes} are read");
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CaptureFormatException($"capture {path}: {e.Message}");
        }
        return Parse(bytes, path);
    }

    /// <summary>Parses a capture held in memory; <paramref name="name"/> is used in error lines.</summary>
    public static Capture Parse(ReadOnlySpan<byte> bytes, string name)
    {
        if (bytes.Length < 4) throw new CaptureFormatException($"capture {name}: {bytes.Length} bytes: too short to be pcap or pcapng");
        uint magic = BinaryPrimitives.ReadUInt32LittleEndian(bytes);
        return magic switch
        {
            PcapReader.MagicMicroseconds or PcapReader.MagicNanoseconds or PcapReader.MagicMicrosecondsSwapped or PcapReader.MagicNanosecondsSwapped
                => new Capture("pcap", PcapReader.Read(bytes, name)),
            PcapngReader.SectionHeaderType => new Capture("pcapng", PcapngReader.Read(bytes, name)),
            _ => throw new CaptureFormatException($"capture {name}: not a pcap or pcapng file (first bytes 0x{magic:x8})"),
        };
    }
}
