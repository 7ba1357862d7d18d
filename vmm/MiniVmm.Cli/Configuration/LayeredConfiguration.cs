using System.CommandLine;
using MiniVmm.Cli.CommandLine;
using Microsoft.Extensions.Configuration;

namespace MiniVmm.Cli.Configuration;

/// <summary>
/// Builds the layers of a command's settings with Microsoft.Extensions.Configuration: the JSON file
/// (--config FILE, else MINIVMM_CONFIG) &lt; MINIVMM_* environment variables &lt; the options the
/// user gave on the command line (never their declared defaults). Values are read with indexers
/// (no reflection binding: NativeAOT).
/// </summary>
public static class LayeredConfiguration
{
    public const string EnvironmentPrefix = "MINIVMM_";

    /// <summary>Throws <see cref="UsageException"/> for a missing or malformed JSON file.</summary>
    public static IConfiguration Build(ParseResult parse, IEnumerable<TextOption> settings, Option<string> configOption)
    {
        string? configFile = Given(parse, configOption) ?? Nonempty(Environment.GetEnvironmentVariable(EnvironmentPrefix + "CONFIG"));
        var builder = new ConfigurationBuilder();
        if (configFile is not null)
        {
            if (!File.Exists(configFile)) throw new UsageException($"config file {configFile}: no such file");
            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }
        builder.AddEnvironmentVariables(EnvironmentPrefix);
        builder.AddInMemoryCollection(FromHyphenatedVariables(settings));
        builder.AddInMemoryCollection(GivenOnCommandLine(parse, settings).Select(kv => new KeyValuePair<string, string?>(kv.Key, kv.Value)));
        try
        {
            return builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw new UsageException($"config file {configFile}: not valid JSON ({e.Message.Split('\n')[0].Trim()})");
        }
    }

    /// <summary>Key -> text of each setting the user gave on the command line (the top layer).</summary>
    public static Dictionary<string, string> GivenOnCommandLine(ParseResult parse, IEnumerable<TextOption> settings)
    {
        var given = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (TextOption setting in settings)
        {
            if (Given(parse, setting.Option) is string text) given[setting.Key] = text;
        }
        return given;
    }

    /// <summary>The text of an option the user gave (not a declared default), or null.</summary>
    public static string? Given(ParseResult parse, Option<string> option) =>
        parse.GetResult(option) is { Implicit: false, Tokens.Count: 1 } result ? result.Tokens[0].Value : null;

    /// <summary>The variable of a setting whose name has a '-' (no shell can set one with it): MINIVMM_API_SOCKET for api-socket.</summary>
    public static string VariableOf(string key) => EnvironmentPrefix + key.Replace('-', '_').ToUpperInvariant();

    private static IEnumerable<KeyValuePair<string, string?>> FromHyphenatedVariables(IEnumerable<TextOption> settings) =>
        settings.Where(s => s.Key.Contains('-'))
            .Select(s => new KeyValuePair<string, string?>(s.Key, Environment.GetEnvironmentVariable(VariableOf(s.Key))))
            .Where(kv => kv.Value is not null);

    private static string? Nonempty(string? s) => string.IsNullOrEmpty(s) ? null : s;
}
