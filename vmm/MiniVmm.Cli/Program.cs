using MiniVmm.Cli.CommandLine;
using MiniVmm.Cli.Commands;

namespace MiniVmm.Cli;

/// <summary>
/// minivmm's entry: the command tree (CommandLine/MinivmmCommandLine.cs) parses and runs one command.
/// Exit codes: the guest's status (run), 2 for bad user input, 1 for host failures.
/// </summary>
public static class Program
{
    public static int Main(string[] args)
    {
        RssCommand.BpfEngineFactory ??= config => new BpfRssEngine(config);
        return MinivmmCommandLine.Invoke(args, CliConsole.Process);
    }
}
