using System.Globalization;
using MiniVmm.Cli.Commands;
using MiniVmm.HostNet.Steering;
using MiniVmm.Rss;

namespace MiniVmm.Cli.SteerTest;

/// <summary>The options of <c>minivmm steer-test</c>, parsed and checked (FormatException names the bad one).</summary>
public sealed record SteerTestOptions
{
    public int Queues { get; init; } = 4;
    public int Frames { get; init; } = 1000;
    public SteeringRequest Steering { get; init; } = SteeringRequest.Auto;
    public bool HashReport { get; init; } = true;
    public byte[] Key { get; init; } = RssConfiguration.DefaultKey.ToArray();
    public VirtioNetHashTypes HashTypes { get; init; } = VirtioNetHashTypes.All;
    public ushort[]? Table { get; init; }
    public ushort Unclassified { get; init; }

    /// <summary>A second RSS configuration the probe sends at run time (then the flow set is sent again).</summary>
    public ushort[]? Table2 { get; init; }
    public byte[]? Key2 { get; init; }

    public string? TapName { get; init; }
    public string? ProbePath { get; init; }
    public int TimeoutSeconds { get; init; } = 120;
    public bool Json { get; init; }
    public bool Help { get; init; }

    public bool SecondPhase => Table2 is not null || Key2 is not null;

    /// <summary>The configuration of phase 1: the given table, or 128 entries spread over the queues.</summary>
    public RssConfiguration Phase1 => new()
    {
        HashTypes = HashTypes,
        Key = Key,
        IndirectionTable = Table ?? RssConfiguration.Spread(Queues).IndirectionTable,
        UnclassifiedQueue = Unclassified,
    };

    public RssConfiguration Phase2 => Phase1 with { Key = Key2 ?? Key, IndirectionTable = Table2 ?? Phase1.IndirectionTable };

    public static SteerTestOptions Parse(string[] args)
    {
        var o = new SteerTestOptions();
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            string Value() => i + 1 < args.Length ? args[++i] : throw new FormatException($"{arg} needs a value");
            o = arg switch
            {
                "--help" or "-h" => o with { Help = true },
                "--json" => o with { Json = true },
                "--queues" => o with { Queues = Int(arg, Value(), 1, 16) },
                "--frames" => o with { Frames = Int(arg, Value(), 1, 100_000) },
                "--steering" => o with { Steering = ParseSteering(Value()) },
                "--hash-report" => o with { HashReport = OnOff(arg, Value()) },
                "--key" => o with { Key = RssCommandOptions.ParseKey(Value()) },
                "--key2" => o with { Key2 = RssCommandOptions.ParseKey(Value()) },
                "--types" => o with { HashTypes = RssCommandOptions.ParseTypes(Value()) },
                "--table" => o with { Table = RssCommandOptions.ParseTable(Value()) },
                "--table2" => o with { Table2 = RssCommandOptions.ParseTable(Value()) },
                "--unclassified" => o with { Unclassified = RssCommandOptions.ParseQueue(Value(), arg) },
                "--tap" => o with { TapName = Value() },
                "--probe" => o with { ProbePath = Value() },
                "--timeout" => o with { TimeoutSeconds = Int(arg, Value(), 5, 3600) },
                _ => throw new FormatException($"unknown option {arg} (see: minivmm steer-test --help)"),
            };
        }
        foreach (ushort[]? table in new[] { o.Table, o.Table2 })
        {
            if (table?.FirstOrDefault(q => q >= o.Queues) is ushort bad && bad >= o.Queues)
                throw new FormatException($"--table: queue {bad} does not exist with --queues {o.Queues}");
        }
        if (o.Unclassified >= o.Queues) throw new FormatException($"--unclassified {o.Unclassified}: only {o.Queues} queues");
        return o;
    }

    private static int Int(string what, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v) && v >= min && v <= max
            ? v
            : throw new FormatException($"{what} {text}: must be a whole number from {min} to {max}");

    private static bool OnOff(string what, string text) => text switch
    {
        "on" => true,
        "off" => false,
        _ => throw new FormatException($"{what} {text}: must be on or off"),
    };

    private static SteeringRequest ParseSteering(string text) => SteeringSelector.ParseRequest(text);
}
