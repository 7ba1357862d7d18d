using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using MiniVmm.Cli.Commands;

namespace MiniVmm.Cli.CommandLine;

/// <summary>
/// minivmm's command tree on System.CommandLine: every command and option declared once (help,
/// defaults, validation and shell completion come from the declarations). A usage error is one
/// line on stderr and exit 2, never System.CommandLine's multi-line report.
/// </summary>
public static class MinivmmCommandLine
{
    /// <summary>POSIX bundling (-jt 0,1 is -j -t 0,1) and --name=value; no @response files (an @ is a plain value).</summary>
    public static readonly ParserConfiguration Parser = new() { EnablePosixBundling = true, ResponseFileTokenReplacer = null };

    public static string Version => typeof(MinivmmCommandLine).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    private static readonly string[] RootExamples =
    [
        "minivmm steer-test --queues 4          # prove RSS steering end to end with the probe guest",
        "minivmm run --kernel out/guest-images/probe.elf --net tap=mv0,queues=4",
        "minivmm caps                           # what this host offers",
        "minivmm ctl /run/vm0.sock counters     # a running VM's per-queue counters (run --api-socket)",
        "minivmm help run                       # one command's options",
    ];

    private const string RootNotes =
        """
        Exit status: run returns the guest's (a write of v to port 0x501 gives (v << 1) | 1); 2 for bad
        input (one line on stderr); 1 for host failures. Shell completion: eval "$(minivmm completion bash)".
        """;

    /// <summary>The whole tree, its commands writing to <paramref name="console"/>. Adding a command is one line here.</summary>
    public static RootCommand Build(CliConsole console)
    {
        var root = new RootCommand($"minivmm {Version}: a KVM virtual machine monitor with a multiqueue virtio-net (RSS, hash reporting)")
        {
            RunCommand.Create(console),
            SteerTestCommand.Create(console),
            RssCommand.Create(console),
            CapsCommand.Create(console),
            VhostUserNetCommand.Create(console),
            CtlCommand.Create(console),
            CompletionCommand.Create(console),
        };
        root.Add(HelpCommand.Create(root));

        var help = new MinivmmHelp(root, RootExamples, RootNotes);
        foreach (HelpOption option in root.Options.OfType<HelpOption>())
        {
            option.Action = help;
            foreach (string alias in new[] { "-?", "/?", "/h" }) option.Aliases.Remove(alias); // -h and --help, as POSIX tools have
        }
        foreach (VersionOption option in root.Options.OfType<VersionOption>().ToList()) root.Options.Remove(option);
        root.Options.Add(new VersionOption("--version", "-V") { Action = new VersionAction(console) });
        root.SetAction(parse => help.Invoke(parse)); // bare `minivmm`: the command list
        return root;
    }

    /// <summary>Parses and runs one command line; returns the exit status.</summary>
    public static int Invoke(string[] args, CliConsole console)
    {
        ParseResult parse = Build(console).Parse(args, Parser);
        if (parse.Action is ParseErrorAction)
        {
            string prefix = (parse.CommandResult.Command as DocumentedCommand)?.ErrorPrefix ?? "minivmm";
            console.Error.WriteLine($"{prefix}: {UsageErrorLine.For(parse)}");
            return ExitCodes.BadInput;
        }
        return parse.Invoke(new InvocationConfiguration
        {
            Output = console.Out,
            Error = console.Error,
            EnableDefaultExceptionHandler = false,
            ProcessTerminationTimeout = null, // the VMM handles SIGINT/SIGTERM itself (HostSignalWatcher)
        });
    }

    private sealed class VersionAction(CliConsole console) : SynchronousCommandLineAction
    {
        public override int Invoke(ParseResult parseResult)
        {
            console.Out.WriteLine($"minivmm {Version}");
            return ExitCodes.Success;
        }
    }
}
