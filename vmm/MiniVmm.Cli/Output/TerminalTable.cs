using Spectre.Console;
using Spectre.Console.Rendering;

namespace MiniVmm.Cli.Output;

/// <summary>
/// Writes a Spectre.Console table: with colour on a terminal; otherwise plain text at most 100
/// columns wide, without escape sequences or the spaces Spectre pads lines with, so logs and pipes
/// get clean lines.
/// </summary>
public static class TerminalTable
{
    public const int RedirectedWidth = 100;

    public static void Write(TextWriter output, IRenderable table)
    {
        if (output == Console.Out && !Console.IsOutputRedirected)
        {
            AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Interactive = InteractionSupport.No }).Write(table);
            return;
        }
        var text = new StringWriter();
        IAnsiConsole plain = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(text),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        plain.Profile.Width = RedirectedWidth;
        plain.Write(table);
        foreach (string line in text.ToString().TrimEnd().Split('\n')) output.WriteLine(line.TrimEnd());
    }
}
