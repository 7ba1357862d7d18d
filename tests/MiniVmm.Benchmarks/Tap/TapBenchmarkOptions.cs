using System.Globalization;

namespace MiniVmm.Benchmarks.Tap;

/// <summary>The tap benchmark's command line: --packets N, --rounds R, --sizes A,B, --senders T, --json.</summary>
public sealed record TapBenchmarkOptions(long Packets, int Rounds, int[] Sizes, int Senders, bool Json = false)
{
    /// <summary>Parses the arguments; prints one error line and returns null on bad input.</summary>
    public static TapBenchmarkOptions? Parse(string[] args)
    {
        long packets = 100_000;
        int rounds = 5, senders = 1;
        int[] sizes = [64, 1514];
        bool json = false;
        for (int i = 0; i < args.Length; i++)
        {
            if (args[i] == "--json")
            {
                json = true;
                continue;
            }
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            bool ok = args[i] switch
            {
                "--packets" => long.TryParse(value, CultureInfo.InvariantCulture, out packets) && packets is > 0 and <= 10_000_000,
                "--rounds" => int.TryParse(value, CultureInfo.InvariantCulture, out rounds) && rounds is > 0 and <= 100,
                "--senders" => int.TryParse(value, CultureInfo.InvariantCulture, out senders) && senders is > 0 and <= 16,
                "--sizes" => TryParseSizes(value, out sizes),
                _ => false,
            };
            if (!ok)
            {
                Console.Error.WriteLine($"tap benchmark: bad argument '{args[i]}{(value is null ? "" : " " + value)}' (use --packets 1..10000000, --rounds 1..100, --senders 1..16, --sizes 60..1514,...)");
                return null;
            }
            i++;
        }
        return new TapBenchmarkOptions(packets, rounds, sizes, senders, json);
    }

    private static bool TryParseSizes(string? value, out int[] sizes)
    {
        sizes = [];
        if (string.IsNullOrEmpty(value)) return false;
        var parsed = new List<int>();
        foreach (string part in value.Split(','))
        {
            if (!int.TryParse(part, CultureInfo.InvariantCulture, out int size) || size is < 60 or > 1514) return false;
            parsed.Add(size);
        }
        sizes = [.. parsed];
        return true;
    }
}
