namespace MiniVmm.HostNet;

/// <summary>A TAP could not be created, attached or adopted; the message is one line naming the problem.</summary>
public sealed class TapException : Exception
{
    public TapException(string message) : base(message) { }

    public TapException(string message, Exception inner) : base(message, inner) { }
}
