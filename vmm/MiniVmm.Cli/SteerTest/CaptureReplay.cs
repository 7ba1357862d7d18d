using System.Buffers.Binary;
using MiniVmm.Cli.Captures;
using MiniVmm.Rss.Packets;

namespace MiniVmm.Cli.SteerTest;

/// <summary>
/// `steer-test --replay FILE`: the IPv4 and IPv6 frames of a capture, sent through the rig instead
/// of the built-in flow set. Each is sent as captured with the rig's id trailer ("MVID" + id, the
/// probe's match key) appended after it: beyond the IP datagram, so no header, length or checksum
/// RSS looks at changes. Other frames are skipped and counted.
/// </summary>
public sealed class CaptureReplay
{
    /// <summary>The TAP's MTU (1500) plus the Ethernet header: AF_PACKET refuses longer frames.</summary>
    public const int MaxSentBytes = 1514;

    private readonly List<CapturedFrame> _frames;

    private CaptureReplay(string file, Capture capture, List<CapturedFrame> frames, int notIp, int tooLarge)
    {
        File = file;
        Format = capture.Format;
        Total = capture.Frames.Count;
        _frames = frames;
        SkippedNotIp = notIp;
        SkippedTooLarge = tooLarge;
    }

    public string File { get; }
    public string Format { get; }

    /// <summary>Frames in the capture.</summary>
    public int Total { get; }

    /// <summary>Frames that will be sent.</summary>
    public int Sent => _frames.Count;

    /// <summary>Frames that are neither IPv4 nor IPv6 (ARP, LLDP, ...), after any VLAN tags.</summary>
    public int SkippedNotIp { get; }

    /// <summary>IP frames longer than <see cref="MaxSentBytes"/> with the id (a TAP cannot carry them).</summary>
    public int SkippedTooLarge { get; }

    /// <summary>Reads the capture; throws <see cref="CaptureFormatException"/> (one line) when it cannot be read.</summary>
    public static CaptureReplay Load(string path)
    {
        Capture capture = CaptureFile.Read(path);
        var frames = new List<CapturedFrame>();
        int notIp = 0, tooLarge = 0;
        foreach (CapturedFrame frame in capture.Frames)
        {
            if (!IsIp(frame.Data)) notIp++;
            else if (frame.Data.Length + FrameBuilder.IdBytes > MaxSentBytes) tooLarge++;
            else frames.Add(frame);
        }
        return new CaptureReplay(path, capture, frames, notIp, tooLarge);
    }

    /// <summary>The frames to send, ids from <paramref name="firstId"/> up; Kind names the capture frame.</summary>
    public IReadOnlyList<SteeringFlow> Flows(uint firstId) =>
        _frames.Select((f, i) => new SteeringFlow(firstId + (uint)i, $"capture frame {f.Number}", WithId(f.Data, firstId + (uint)i))).ToList();

    /// <summary>One line for the report: what was sent and what was skipped.</summary>
    public string Summary =>
        $"replay {File} ({Format}): {Sent} of {Total} frames sent; skipped {SkippedNotIp} not IPv4/IPv6, {SkippedTooLarge} longer than {MaxSentBytes - FrameBuilder.IdBytes} bytes";

    private static byte[] WithId(byte[] frame, uint id)
    {
        byte[] sent = new byte[frame.Length + FrameBuilder.IdBytes];
        frame.CopyTo(sent, 0);
        FrameBuilder.IdMarker.CopyTo(sent.AsSpan(frame.Length));
        BinaryPrimitives.WriteUInt32BigEndian(sent.AsSpan(frame.Length + 4), id);
        return sent;
    }

    /// <summary>EtherType after any 802.1Q / 802.1ad tags is IPv4 or IPv6.</summary>
    private static bool IsIp(ReadOnlySpan<byte> frame)
    {
        int offset = 12;
        while (frame.Length >= offset + 2)
        {
            ushort type = BinaryPrimitives.ReadUInt16BigEndian(frame[offset..]);
            if (type is EtherType.Vlan or EtherType.ServiceVlan) { offset += 4; continue; }
            return type is EtherType.IPv4 or EtherType.IPv6;
        }
        return false;
    }
}
