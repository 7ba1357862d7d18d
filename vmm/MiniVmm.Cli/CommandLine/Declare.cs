using System.CommandLine;
using System.CommandLine.Parsing;
using MiniVmm.Cli.Configuration;

namespace MiniVmm.Cli.CommandLine;

/// <summary>
/// Declares minivmm's options: name, short aliases, the value's name and description for help, the
/// default, and the function that turns the text into a value or throws one clear line
/// (<see cref="UsageException"/> or <see cref="FormatException"/>), which becomes the parse error.
/// </summary>
public static class Declare
{
    /// <summary>An option with one value and no default (absent: the type's default, usually null).</summary>
    public static Option<T> Value<T>(string name, string helpName, string description, Func<string, T> parse, params string[] aliases)
    {
        var option = new Option<T>(name, aliases) { Description = description, HelpName = helpName, Arity = ArgumentArity.ExactlyOne };
        option.CustomParser = result => Parse(result, parse);
        return option;
    }

    /// <summary>
    /// An option with one value and a default that help shows as System.CommandLine prints it (a
    /// number); for a default better said as text ("auto", "on") declare a <see cref="TextOption{T}"/>.
    /// </summary>
    public static Option<T> Value<T>(string name, string helpName, string description, Func<string, T> parse, T defaultValue, params string[] aliases)
    {
        Option<T> option = Value(name, helpName, description, parse, aliases);
        option.DefaultValueFactory = _ => defaultValue;
        return option;
    }

    /// <summary>An option that takes no value: present or not.</summary>
    public static Option<bool> Flag(string name, string description, params string[] aliases) =>
        new(name, aliases) { Description = description, Arity = ArgumentArity.Zero };

    /// <summary>
    /// The value of an option without a default, or null when it was not given (System.CommandLine's
    /// GetValue gives an empty array for an absent array-typed option).
    /// </summary>
    public static T? GivenValue<T>(this ParseResult parse, Option<T> option) =>
        parse.GetResult(option) is { Implicit: false } ? parse.GetValue(option) : default;

    /// <summary>The values shell completion offers for an option.</summary>
    public static Option<T> Completing<T>(this Option<T> option, params string[] values)
    {
        option.CompletionSources.Add(values);
        return option;
    }

    private static T? Parse<T>(ArgumentResult result, Func<string, T> parse)
    {
        // Arity ExactlyOne: System.CommandLine reports a missing or repeated value itself.
        if (result.Tokens.Count != 1) return default;
        try
        {
            return parse(result.Tokens[0].Value);
        }
        catch (Exception e) when (e is UsageException or FormatException)
        {
            result.AddError(e.Message);
            return default;
        }
    }
}
