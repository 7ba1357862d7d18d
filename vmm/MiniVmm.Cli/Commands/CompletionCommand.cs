using System.CommandLine;
using MiniVmm.Cli.CommandLine;

namespace MiniVmm.Cli.Commands;

/// <summary>
/// `minivmm completion bash`: a bash completion function that asks minivmm itself, through
/// System.CommandLine's [suggest:POSITION] directive, what may come at the cursor (commands,
/// options, declared values); where it offers nothing (a file name), bash completes file names.
/// </summary>
public static class CompletionCommand
{
    public const string BashScript =
        """
        # minivmm bash completion: eval "$(minivmm completion bash)"
        _minivmm_complete() {
            local IFS=$'\n'
            local line=${COMP_LINE:0:COMP_POINT}
            COMPREPLY=($(compgen -W "$("${COMP_WORDS[0]}" "[suggest:${#line}]" "$line" 2>/dev/null)" -- "${COMP_WORDS[COMP_CWORD]}"))
        }
        complete -o default -F _minivmm_complete minivmm

        """;

    public static DocumentedCommand Create(CliConsole console)
    {
        var shell = new Argument<string>("shell") { Description = "the shell to print a completion script for (bash)", HelpName = "SHELL" };
        shell.CompletionSources.Add("bash");
        shell.Validators.Add(result =>
        {
            string value = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (value != "bash") result.AddError($"completion {value}: only bash is supported");
        });
        var command = new DocumentedCommand("completion", "print a shell completion script",
            ["eval \"$(minivmm completion bash)\"                 # completion in this shell",
             "minivmm completion bash > /etc/bash_completion.d/minivmm"]) { shell };
        command.SetAction(_ =>
        {
            console.Out.Write(BashScript);
            return 0;
        });
        return command;
    }
}
