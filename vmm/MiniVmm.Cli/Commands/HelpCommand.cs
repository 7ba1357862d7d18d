using System.CommandLine;
using MiniVmm.Cli.CommandLine;

namespace MiniVmm.Cli.Commands;

/// <summary>minivmm help [COMMAND]: the command list, or one command's help (the same as COMMAND --help).</summary>
public static class HelpCommand
{
    public static DocumentedCommand Create(RootCommand root)
    {
        var name = new Argument<string?>("command") { Description = "the command whose help to show", HelpName = "COMMAND", Arity = ArgumentArity.ZeroOrOne };
        name.CompletionSources.Add(_ => root.Subcommands.Select(c => new System.CommandLine.Completions.CompletionItem(c.Name)));
        name.Validators.Add(result =>
        {
            string? value = result.Tokens.Count == 1 ? result.Tokens[0].Value : null;
            if (value is not null && !root.Subcommands.Any(c => c.Name == value)) result.AddError($"no help for '{value}' (try: minivmm --help)");
        });
        var command = new DocumentedCommand("help", "show this help, or a command's", ["minivmm help steer-test"]) { name };
        command.SetAction(parse =>
        {
            string? target = parse.GetValue(name);
            string[] args = target is null ? ["--help"] : [target, "--help"];
            return root.Parse(args, MinivmmCommandLine.Parser).Invoke(parse.InvocationConfiguration);
        });
        return command;
    }
}
