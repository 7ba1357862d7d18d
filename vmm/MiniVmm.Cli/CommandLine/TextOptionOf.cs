using System.CommandLine;
using Microsoft.Extensions.Configuration;
using MiniVmm.Cli.Configuration;

namespace MiniVmm.Cli.CommandLine;

/// <summary>
/// A <see cref="TextOption"/> of type <typeparamref name="T"/>: one parser checks its text wherever
/// it comes from (the command line at parse time; a JSON file or the environment when the layers are
/// read), so the error line is the same; the default text is what help shows and what is parsed
/// when no value is given.
/// </summary>
public sealed class TextOption<T> : TextOption
{
    private readonly Func<string, T> _parse;
    private readonly string? _defaultText;

    public TextOption(string key, string helpName, string description, Func<string, T> parse, string? defaultText = null, params string[] aliases)
        : base(key, CreateOption(key, helpName, description, parse, defaultText, aliases))
    {
        _parse = parse;
        _defaultText = defaultText;
    }

    /// <summary>The value given on the command line, else the default (null when there is none).</summary>
    public T? Get(ParseResult parse) => From(LayeredConfiguration.Given(parse, Option));

    /// <summary>The value from the highest layer that has a non-empty one, else the default.</summary>
    public T? Read(IConfiguration layers) => From(layers[Key] is { Length: > 0 } text ? text : null);

    private T? From(string? text) => text is not null ? _parse(text) : _defaultText is null ? default : _parse(_defaultText);

    private static Option<string> CreateOption(string key, string helpName, string description, Func<string, T> parse, string? defaultText, string[] aliases)
    {
        var option = new Option<string>($"--{key}", aliases) { Description = description, HelpName = helpName, Arity = ArgumentArity.ExactlyOne };
        // Help only: the default is applied when read, after a JSON file and the environment had their say.
        if (defaultText is not null) option.Description += $" [default: {defaultText}]";
        option.Validators.Add(result =>
        {
            if (result.Tokens.Count != 1) return;
            try { parse(result.Tokens[0].Value); }
            catch (Exception e) when (e is UsageException or FormatException) { result.AddError(e.Message); }
        });
        return option;
    }

    /// <summary>The completions shell completion offers for the value.</summary>
    public TextOption<T> Completing(params string[] values)
    {
        Option.CompletionSources.Add(values);
        return this;
    }
}
