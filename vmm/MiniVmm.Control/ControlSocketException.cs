namespace MiniVmm.Control;

/// <summary>The control socket cannot be set up at the path given, or the client cannot reach it or read an answer: one line that names the path.</summary>
public sealed class ControlSocketException(string message, bool isUsageError = true) : Exception(message)
{
    /// <summary>True when the path itself is wrong (exit 2); false when the host or the peer failed (exit 1).</summary>
    public bool IsUsageError { get; } = isUsageError;
}
