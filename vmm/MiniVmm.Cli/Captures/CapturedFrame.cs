namespace MiniVmm.Cli.Captures;

/// <summary>One frame of a capture: its number (1-based, in file order, as Wireshark counts), the bytes captured and the length on the wire.</summary>
public sealed record CapturedFrame(int Number, byte[] Data, int OriginalLength)
{
    /// <summary>The capture kept fewer bytes than were on the wire (its snap length).</summary>
    public bool Snapped => Data.Length < OriginalLength;
}
