namespace MiniVmm.Cli.Captures;

/// <summary>A capture that cannot be read (not a capture, truncated, corrupt, not Ethernet): the message is one line naming where.</summary>
public sealed class CaptureFormatException(string message) : Exception(message);
