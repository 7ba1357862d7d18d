using System.Globalization;
using MiniVmm.Rss;

namespace MiniVmm.Cli.Commands;

/// <summary>
/// The options of `minivmm rss` (declared in RssCommand, which fills this in), and the value parsers
/// it shares with steer-test; each parser throws <see cref="FormatException"/> with one clear line.
/// </summary>
public sealed record RssCommandOptions
{
    /// <summary>Names accepted by --types (virtio 1.2 §5.1.6.4.3.1 names, lower case, and our enum names).</summary>
    private static readonly Dictionary<string, VirtioNetHashTypes> TypeNames = new(StringComparer.OrdinalIgnoreCase)
    {
        ["ipv4"] = VirtioNetHashTypes.IPv4,
        ["tcpv4"] = VirtioNetHashTypes.TcpV4,
        ["udpv4"] = VirtioNetHashTypes.UdpV4,
        ["ipv6"] = VirtioNetHashTypes.IPv6,
        ["tcpv6"] = VirtioNetHashTypes.TcpV6,
        ["udpv6"] = VirtioNetHashTypes.UdpV6,
        ["ip_ex"] = VirtioNetHashTypes.IPv6Ex,
        ["ipv6ex"] = VirtioNetHashTypes.IPv6Ex,
        ["ipv6_ex"] = VirtioNetHashTypes.IPv6Ex,
        ["tcp_ex"] = VirtioNetHashTypes.TcpV6Ex,
        ["tcpv6ex"] = VirtioNetHashTypes.TcpV6Ex,
        ["tcpv6_ex"] = VirtioNetHashTypes.TcpV6Ex,
        ["udp_ex"] = VirtioNetHashTypes.UdpV6Ex,
        ["udpv6ex"] = VirtioNetHashTypes.UdpV6Ex,
        ["udpv6_ex"] = VirtioNetHashTypes.UdpV6Ex,
        ["all"] = VirtioNetHashTypes.All,
    };

    public byte[]? Frame { get; init; }

    /// <summary>A capture file to read the frames from, or null.</summary>
    public string? Pcap { get; init; }

    public byte[] Key { get; init; } = RssConfiguration.DefaultKey.ToArray();

    public VirtioNetHashTypes HashTypes { get; init; } = VirtioNetHashTypes.All;

    /// <summary>The indirection table, or null when none was given (then no queue is printed).</summary>
    public ushort[]? Table { get; init; }

    public ushort UnclassifiedQueue { get; init; }

    public string Engine { get; init; } = "managed";

    public bool Json { get; init; }

    public RssConfiguration ToConfiguration() => new()
    {
        HashTypes = HashTypes,
        Key = Key,
        IndirectionTable = Table ?? [UnclassifiedQueue],
        UnclassifiedQueue = UnclassifiedQueue,
    };

    /// <summary>Hex bytes; spaces, ':' and '-' between them are ignored, a leading 0x too.</summary>
    public static byte[] ParseHex(string text, string what)
    {
        string digits = new string(text.Where(c => !char.IsWhiteSpace(c) && c != ':' && c != '-').ToArray());
        if (digits.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            digits = digits[2..];
        }

        if (digits.Length == 0 || digits.Length % 2 != 0 || !digits.All(char.IsAsciiHexDigit))
        {
            string shown = text.Length > 40 ? text[..40] + "..." : text;
            throw new FormatException($"{what}: '{shown}' is not an even number of hex digits");
        }

        return Convert.FromHexString(digits);
    }

    public static byte[] ParseKey(string text)
    {
        byte[] key = ParseHex(text, "--key");
        return key.Length <= RssConfiguration.MaxKeyBytes
            ? key
            : throw new FormatException($"--key: {key.Length} bytes; the device takes at most {RssConfiguration.MaxKeyBytes}");
    }

    public static VirtioNetHashTypes ParseTypes(string text)
    {
        string trimmed = text.Trim();
        if (trimmed.Length > 0 && char.IsAsciiDigit(trimmed[0]))
        {
            bool hex = trimmed.StartsWith("0x", StringComparison.OrdinalIgnoreCase);
            if (!uint.TryParse(hex ? trimmed[2..] : trimmed, hex ? NumberStyles.AllowHexSpecifier : NumberStyles.None, CultureInfo.InvariantCulture, out uint mask))
            {
                throw new FormatException($"--types: '{text}' is not a number");
            }

            return (mask & ~(uint)VirtioNetHashTypes.All) == 0
                ? (VirtioNetHashTypes)mask
                : throw new FormatException($"--types: 0x{mask:x} has bits outside the nine virtio hash types (0x{(uint)VirtioNetHashTypes.All:x})");
        }

        VirtioNetHashTypes types = VirtioNetHashTypes.None;
        foreach (string name in trimmed.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            types |= TypeNames.TryGetValue(name, out VirtioNetHashTypes type)
                ? type
                : throw new FormatException($"--types: unknown hash type '{name}' (ipv4,tcpv4,udpv4,ipv6,tcpv6,udpv6,ip_ex,tcp_ex,udp_ex,all or a number)");
        }

        return trimmed.Length > 0 ? types : throw new FormatException("--types: empty");
    }

    public static ushort[] ParseTable(string text)
    {
        ushort[] table = text.Split(',', StringSplitOptions.TrimEntries).Select(q => ParseQueue(q, "--table")).ToArray();
        bool powerOfTwo = (table.Length & (table.Length - 1)) == 0;
        return powerOfTwo && table.Length <= RssConfiguration.MaxTableLength
            ? table
            : throw new FormatException($"--table: {table.Length} entries; the length must be a power of two up to {RssConfiguration.MaxTableLength}");
    }

    public static ushort ParseQueue(string text, string what) =>
        ushort.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ushort queue)
            ? queue
            : throw new FormatException($"{what}: '{text}' is not a queue number (0-65535)");

    public static string ParseEngine(string text) => text is "managed" or "bpf"
        ? text
        : throw new FormatException($"--engine: '{text}' is not managed or bpf");
}
