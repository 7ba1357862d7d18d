namespace MiniVmm.Cli.CommandLine;

/// <summary>Where a command reads its input and writes its output and errors: the process's console, or a test's strings.</summary>
public sealed record CliConsole(TextReader In, TextWriter Out, TextWriter Error)
{
    public static CliConsole Process => new(Console.In, Console.Out, Console.Error);
}
