namespace MiniVmm.Control.Protocol;

/// <summary>Why a request got no answer: a <see cref="Code"/> scripts can test and a one-line <see cref="Message"/> for people.</summary>
public sealed record ControlError(string Code, string Message)
{
    /// <summary>Not JSON, not an object, a member of the wrong type or unknown, or no "command".</summary>
    public const string Malformed = "malformed";

    /// <summary>A "command" the server does not know.</summary>
    public const string UnknownCommand = "unknown-command";

    /// <summary>A known command with a missing or wrong argument (link without "up"/"down", "state" on info).</summary>
    public const string BadArgument = "bad-argument";

    /// <summary>A line longer than <see cref="ControlRequestParser.MaxRequestBytes"/>; the connection is closed after it.</summary>
    public const string TooLong = "too-long";

    /// <summary>No complete request within the idle timeout; the connection is closed after it.</summary>
    public const string Timeout = "timeout";

    /// <summary>Every connection slot is taken; the connection is closed after it.</summary>
    public const string Busy = "busy";

    /// <summary>The server failed answering (a bug of ours, also logged); the VM runs on.</summary>
    public const string Internal = "internal";
}
