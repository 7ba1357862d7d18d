using System.CommandLine;

namespace MiniVmm.Cli.CommandLine;

/// <summary>
/// A minivmm command: System.CommandLine's <see cref="Command"/> plus what its help shows after the
/// options (examples, then notes such as the exit status) and the prefix of its one-line errors.
/// </summary>
public sealed class DocumentedCommand(string name, string description, string[] examples, string? notes = null) : Command(name, description)
{
    /// <summary>Example command lines, each with a short comment; help shows them under "Examples:".</summary>
    public IReadOnlyList<string> Examples { get; } = examples;

    /// <summary>Text after the examples (environment, exit status), or null.</summary>
    public string? Notes { get; } = notes;

    /// <summary>What a usage error line starts with, before ": ".</summary>
    public string ErrorPrefix { get; set; } = "minivmm";
}
