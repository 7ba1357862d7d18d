namespace MiniVmm.Control.Protocol;

/// <summary>
/// One answer, one line of JSON: <c>"ok": true</c> and the member named after the command (info,
/// counters, rss, link), or <c>"ok": false</c> and an <see cref="Error"/>. Members that do not
/// apply are left out.
/// </summary>
public sealed record ControlAnswer
{
    public required bool Ok { get; init; }

    public ControlError? Error { get; init; }

    public DeviceInfo? Info { get; init; }

    public CountersInfo? Counters { get; init; }

    public RssInfo? Rss { get; init; }

    public LinkInfo? Link { get; init; }

    public static ControlAnswer Failed(string code, string message) => new() { Ok = false, Error = new ControlError(code, message) };
}
