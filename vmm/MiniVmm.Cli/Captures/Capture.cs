namespace MiniVmm.Cli.Captures;

/// <summary>The Ethernet frames of a capture file, and its format ("pcap" or "pcapng").</summary>
public sealed record Capture(string Format, IReadOnlyList<CapturedFrame> Frames);
