using System.CommandLine;

namespace MiniVmm.Cli.CommandLine;

/// <summary>
/// An option whose value is text checked by one parser (at parse time, so a bad value is a usage
/// error) and turned into its type when read, with its default given as text: what help shows is
/// what is parsed. For a layered setting (run's), <see cref="Key"/> is also the JSON key and the
/// MINIVMM_ variable's suffix.
/// </summary>
public abstract class TextOption(string key, Option<string> option)
{
    /// <summary>The option's name without "--"; the JSON key and MINIVMM_KEY (case-insensitive) of a layered setting.</summary>
    public string Key { get; } = key;

    public Option<string> Option { get; } = option;
}
