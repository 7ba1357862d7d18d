namespace MiniVmm.Fuzzing;

/// <summary>A target's oracle failed: the code under test did something its contract forbids.</summary>
public sealed class OracleViolationException(string message) : Exception(message)
{
    /// <summary>Throws when <paramref name="condition"/> is false; the message is built only then.</summary>
    public static void Check(bool condition, Func<string> message)
    {
        if (!condition) throw new OracleViolationException(message());
    }
}
