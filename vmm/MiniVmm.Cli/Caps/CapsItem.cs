namespace MiniVmm.Cli.Caps;

/// <summary>One fact in a caps section: a flag, a number or a text (exactly one is set).</summary>
public sealed record CapsItem(string Name, bool? Flag = null, long? Number = null, string? Text = null)
{
    public static CapsItem Of(string name, bool flag) => new(name, Flag: flag);
    public static CapsItem Of(string name, long number) => new(name, Number: number);
    public static CapsItem Of(string name, string text) => new(name, Text: text);

    public string ValueText => Flag is bool f ? (f ? "yes" : "no") : Number is long n ? n.ToString() : Text ?? "";
}
