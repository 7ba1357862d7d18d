namespace MiniVmm.Fuzzing.Queues;

/// <summary>
/// A packet the fake back end hands to a receive round: the frame's length, the vnet header's flags
/// and gso_type, and the frame's first bytes; the rest is a pattern (so frames of a round differ).
/// </summary>
public sealed record QueuePacket(int FrameBytes, byte Flags, byte GsoType, byte[] Prefix)
{
    public byte[] Build(int headerBytes, int index)
    {
        var packet = new byte[headerBytes + FrameBytes];
        packet[0] = Flags;
        packet[1] = GsoType;
        for (int i = 0; i < FrameBytes; i++)
        {
            packet[headerBytes + i] = i < Prefix.Length ? Prefix[i] : (byte)(i * 7 + index * 31 + 1);
        }
        return packet;
    }
}
