using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;

namespace MiniVmm.Cli.CommandLine;

/// <summary>
/// Help as System.CommandLine generates it from the declarations (description, usage, arguments,
/// options with their defaults, subcommands), followed by the command's examples and notes.
/// </summary>
public sealed class MinivmmHelp(RootCommand root, IReadOnlyList<string> rootExamples, string rootNotes) : SynchronousCommandLineAction
{
    /// <summary>Lines wrap at the terminal's width, or at this many columns when output is not a terminal.</summary>
    public const int RedirectedWidth = 100;

    private readonly HelpAction _generated = new() { MaxWidth = Console.IsOutputRedirected ? RedirectedWidth : Math.Clamp(WindowWidth(), 60, 160) };

    /// <summary>`run --kernel x --help` is help, whatever else is wrong on the line.</summary>
    public override bool ClearsParseErrors => true;

    public override int Invoke(ParseResult parseResult)
    {
        _generated.Invoke(parseResult);
        Command command = parseResult.CommandResult.Command;
        TextWriter output = parseResult.InvocationConfiguration.Output;
        IReadOnlyList<string> examples = command is DocumentedCommand c ? c.Examples : command == root ? rootExamples : [];
        if (examples.Count > 0)
        {
            output.WriteLine("Examples:");
            foreach (string example in examples) output.WriteLine($"  {example}");
            output.WriteLine();
        }
        string? notes = command is DocumentedCommand d ? d.Notes : command == root ? rootNotes : null;
        if (notes is not null) output.WriteLine(notes.TrimEnd());
        return 0;
    }

    private static int WindowWidth()
    {
        try { return Console.WindowWidth; }
        catch (IOException) { return RedirectedWidth; }
    }
}
