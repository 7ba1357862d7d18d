using MiniVmm.Cli.Commands;

namespace MiniVmm.Cli;

/// <summary>
/// minivmm's entry: picks a command from the table and runs it. Exit codes: the guest's status
/// (run), 2 for bad user input, 1 for host failures.
/// </summary>
public static class Program
{
    /// <summary>Every command, one line each; help lists them in this order.</summary>
    public static readonly CliCommand[] Commands =
    [
        new("run", "boot a guest kernel (ELF vmlinux, bzImage, or the probe)", RunCommand.Execute),
        new("steer-test", "prove every flow lands on the queue RSS says, with the right hash", SteerTestCommand.Execute),
        new("rss", "explain the RSS hash and queue of Ethernet frames given as hex", args => RssCommand.Run(args, Console.In, Console.Out, Console.Error)),
        new("caps", "what this host offers: KVM capabilities, PVM, TAP multiqueue, steering probes", CapsCommand.Execute),
        new("help", "show this help, or a command's: minivmm help run", HelpCommand.Execute),
    ];

    public static int Main(string[] args)
    {
        RssCommand.BpfEngineFactory ??= config => new BpfRssEngine(config);
        if (args.Length == 0 || args[0] is "--help" or "-h") return HelpCommand.Execute([]);
        if (args[0] is "--version" or "-V")
        {
            Console.Out.WriteLine($"minivmm {HelpCommand.Version}");
            return ExitCodes.Success;
        }
        CliCommand? command = Array.Find(Commands, c => c.Name == args[0]);
        if (command is null) return ExitCodes.Usage($"unknown command '{args[0]}' (try: minivmm --help)");
        return command.Execute(args[1..]);
    }
}
