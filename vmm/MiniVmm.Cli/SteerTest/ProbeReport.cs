using System.Globalization;

namespace MiniVmm.Cli.SteerTest;

/// <summary>
/// What the probe guest says on its serial port, parsed line by line (the protocol is in
/// guest-images/probe/README.md): `probe: ready ...`, `rx q=Q id=ID len=L hash=0xH report=R`,
/// `tx q=Q sent=N`, `probe: done frames=N`. Unknown lines are kept for diagnostics.
/// </summary>
public sealed class ProbeReport
{
    private readonly List<ProbeRxEvent> _received = new();
    private readonly Dictionary<int, int> _transmitted = new();

    public IReadOnlyList<ProbeRxEvent> Received => _received;

    /// <summary>TX queue -> frames the probe reports as sent on it.</summary>
    public IReadOnlyDictionary<int, int> Transmitted => _transmitted;

    /// <summary>How many `probe: ready` lines were seen (one per phase).</summary>
    public int ReadyCount { get; private set; }

    public bool Done { get; private set; }

    /// <summary>Lines starting with `probe: error` or the probe's fault handler.</summary>
    public List<string> Errors { get; } = new();

    /// <summary>Takes one serial line; returns true when it was part of the protocol.</summary>
    public bool Accept(string line)
    {
        line = line.TrimEnd('\r');
        if (line.StartsWith("rx ", StringComparison.Ordinal)) return TryParseRx(line);
        if (line.StartsWith("tx ", StringComparison.Ordinal)) return TryParseTx(line);
        if (line.StartsWith("probe: ready", StringComparison.Ordinal)) { ReadyCount++; return true; }
        if (line.StartsWith("probe: done", StringComparison.Ordinal)) { Done = true; return true; }
        if (line.StartsWith("probe: error", StringComparison.Ordinal) || line.StartsWith("probe: fault", StringComparison.Ordinal))
        {
            Errors.Add(line);
            return true;
        }
        return line.StartsWith("probe:", StringComparison.Ordinal);
    }

    private bool TryParseRx(string line)
    {
        int? queue = null, length = null, report = null;
        long? id = null;
        uint? hash = null;
        foreach (var (key, value) in Fields(line))
        {
            switch (key)
            {
                case "q": queue = ParseInt(value); break;
                case "id": id = long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long v) ? v : null; break;
                case "len": length = ParseInt(value); break;
                case "hash": hash = ParseHex(value); break;
                case "report": report = ParseInt(value); break;
            }
        }
        if (queue is null || id is null || hash is null || report is null) return false;
        _received.Add(new ProbeRxEvent(queue.Value, id.Value, length ?? 0, hash.Value, report.Value));
        return true;
    }

    private bool TryParseTx(string line)
    {
        int? queue = null, sent = null;
        foreach (var (key, value) in Fields(line))
        {
            if (key == "q") queue = ParseInt(value);
            else if (key == "sent") sent = ParseInt(value);
        }
        if (queue is null || sent is null) return false;
        _transmitted[queue.Value] = sent.Value;
        return true;
    }

    private static IEnumerable<(string Key, string Value)> Fields(string line)
    {
        foreach (string word in line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            int eq = word.IndexOf('=');
            if (eq > 0) yield return (word[..eq], word[(eq + 1)..]);
        }
    }

    private static int? ParseInt(string s) =>
        int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int v) ? v : null;

    private static uint? ParseHex(string s)
    {
        if (s.StartsWith("0x", StringComparison.OrdinalIgnoreCase)) s = s[2..];
        return uint.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out uint v) ? v : null;
    }
}
