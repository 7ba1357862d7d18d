namespace MiniVmm.Cli.Commands;

/// <summary>One subcommand: its name, a one-line summary for help, and what runs it (arguments after the name).</summary>
public sealed record CliCommand(string Name, string Summary, Func<string[], int> Execute);
