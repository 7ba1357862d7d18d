using System.Text.Json;
using System.Text.Json.Serialization;

namespace MiniVmm.Control.Protocol;

/// <summary>
/// One request, one line of JSON: <c>{"command": "info"}</c>, <c>"counters"</c>, <c>"rss"</c>, or
/// <c>{"command": "link", "state": "up"}</c> (or "down"). Members other than these are refused, so
/// a misspelt one is an error rather than silently ignored (docs/CONTROL.md).
/// </summary>
[JsonUnmappedMemberHandling(JsonUnmappedMemberHandling.Disallow)]
public sealed record ControlRequest
{
    public const string InfoCommand = "info";
    public const string CountersCommand = "counters";
    public const string RssCommand = "rss";
    public const string LinkCommand = "link";

    /// <summary>Every command, in the order help and errors list them.</summary>
    public static IReadOnlyList<string> Commands { get; } = [InfoCommand, CountersCommand, RssCommand, LinkCommand];

    public string? Command { get; init; }

    /// <summary>link only: "up" or "down".</summary>
    public string? State { get; init; }

    public static ControlRequest Info { get; } = new() { Command = InfoCommand };

    public static ControlRequest Counters { get; } = new() { Command = CountersCommand };

    public static ControlRequest Rss { get; } = new() { Command = RssCommand };

    public static ControlRequest Link(bool up) => new() { Command = LinkCommand, State = up ? "up" : "down" };

    /// <summary>The request as the line it is sent as (without the newline).</summary>
    public string ToJson() => JsonSerializer.Serialize(this, ControlJson.Wire.ControlRequest);
}
