using System.CommandLine;
using System.CommandLine.Parsing;

namespace MiniVmm.Cli.CommandLine;

/// <summary>
/// The one line a usage error prints, from a parse that failed: System.CommandLine's own report is
/// several lines (errors, typo suggestions, then the whole help), ours names the first problem and
/// where the help is. Messages from our value parsers and validators are used as they are.
/// </summary>
public static class UsageErrorLine
{
    public static string For(ParseResult parse)
    {
        Command command = parse.CommandResult.Command;
        bool atRoot = command is RootCommand;
        string help = atRoot ? "minivmm --help" : $"minivmm {command.Name} --help";
        if (parse.UnmatchedTokens.Count > 0)
        {
            string token = parse.UnmatchedTokens[0];
            if (token.StartsWith('-') && token.Length > 1) return $"unknown option {token} (see: {help})";
            return atRoot ? $"unknown command '{token}' (try: minivmm --help)" : $"unexpected argument '{token}' (see: {help})";
        }

        ParseError? error = parse.Errors.FirstOrDefault();
        if (error is null) return $"bad command line (see: {help})";
        OptionResult? option = error.SymbolResult as OptionResult ?? (error.SymbolResult as ArgumentResult)?.Parent as OptionResult;
        if (option is not null && option.Option.Arity.MaximumNumberOfValues == 1)
        {
            // System.CommandLine's arity errors; everything else on an option comes from its parser.
            if (option.Tokens.Count == 0) return $"option {option.Option.Name} needs a value";
            if (option.Tokens.Count > 1) return $"option {option.Option.Name} given more than once";
        }
        return FirstLine(error.Message);
    }

    private static string FirstLine(string text) => text.Split('\n')[0].Trim();
}
