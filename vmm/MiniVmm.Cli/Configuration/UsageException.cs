namespace MiniVmm.Cli.Configuration;

/// <summary>Bad user input: the message is the one line printed after "minivmm: "; exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
