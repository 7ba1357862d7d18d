namespace MiniVmm.Cli.Configuration;

/// <summary>
/// Parses sizes such as "512M", "3G", "65536K" (binary units; an optional trailing "B" or "iB"
/// is accepted). A bare number means MiB, as in QEMU's -m.
/// </summary>
public static class SizeParser
{
    public static bool TryParse(string? text, out ulong bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text)) return false;
        ReadOnlySpan<char> s = text.Trim();
        if (s.EndsWith("iB", StringComparison.OrdinalIgnoreCase)) s = s[..^2];
        else if (s.Length > 1 && (s[^1] is 'B' or 'b') && char.IsLetter(s[^2])) s = s[..^1];

        int shift = 20;
        if (s.Length > 0 && char.IsLetter(s[^1]))
        {
            shift = char.ToUpperInvariant(s[^1]) switch { 'K' => 10, 'M' => 20, 'G' => 30, _ => -1 };
            if (shift < 0) return false;
            s = s[..^1];
        }
        if (s.Length == 0 || s.Length > 19) return false;
        foreach (char c in s) if (c is < '0' or > '9') return false;
        ulong number = ulong.Parse(s);
        if (number > (ulong.MaxValue >> shift)) return false;
        bytes = number << shift;
        return true;
    }
}
