namespace MiniVmm.Cli.Commands;

/// <summary>The process exit codes, and the one-line error report that goes with them.</summary>
public static class ExitCodes
{
    public const int Success = 0;
    public const int HostFailure = 1;
    public const int BadInput = 2;

    /// <summary>Prints "minivmm: problem" on <paramref name="error"/> and returns <see cref="BadInput"/>.</summary>
    public static int Usage(TextWriter error, string problem)
    {
        error.WriteLine($"minivmm: {problem}");
        return BadInput;
    }

    /// <summary>Prints "minivmm: problem" on <paramref name="error"/> and returns <see cref="HostFailure"/>.</summary>
    public static int Failure(TextWriter error, string problem)
    {
        error.WriteLine($"minivmm: {problem}");
        return HostFailure;
    }
}
