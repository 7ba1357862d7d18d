using System.Text;

namespace MiniVmm.Cli.Commands;

/// <summary>minivmm help [COMMAND]: the command list, or one command's own help.</summary>
public static class HelpCommand
{
    public static string Version => typeof(HelpCommand).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";

    public static int Execute(string[] args)
    {
        if (args.Length == 1 && args[0] == "run") { Console.Out.Write(RunCommand.HelpText); return ExitCodes.Success; }
        if (args.Length == 1 && args[0] == "caps") { Console.Out.Write(CapsCommand.HelpText); return ExitCodes.Success; }
        if (args.Length > 0 && args[0] != "help") return ExitCodes.Usage($"no help for '{args[0]}' (try: minivmm --help)");

        var text = new StringBuilder();
        text.AppendLine($"minivmm {Version}: a KVM virtual machine monitor with a multiqueue virtio-net (RSS, hash reporting)");
        text.AppendLine();
        text.AppendLine("usage: minivmm COMMAND [OPTIONS]   (minivmm COMMAND --help for its options)");
        text.AppendLine();
        text.AppendLine("commands:");
        foreach (CliCommand c in Program.Commands) text.AppendLine($"  {c.Name,-12} {c.Summary}");
        text.AppendLine($"  {"--version",-12} print the version");
        text.AppendLine();
        text.AppendLine("exit status: the guest's (run: a write of v to port 0x501 gives (v << 1) | 1), 2 bad input, 1 host failure");
        Console.Out.Write(text.ToString());
        return ExitCodes.Success;
    }
}
