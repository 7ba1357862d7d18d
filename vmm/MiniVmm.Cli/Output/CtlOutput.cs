using MiniVmm.Control.Protocol;
using Spectre.Console;

namespace MiniVmm.Cli.Output;

/// <summary>
/// minivmm ctl's answers for people: info and rss as two-column tables (what, value), counters as
/// one row per queue pair, link as one line. Scripts use --json, which prints the answer as it came.
/// </summary>
public static class CtlOutput
{
    public static void Write(TextWriter output, ControlAnswer answer)
    {
        if (answer.Info is DeviceInfo info) WriteInfo(output, info);
        if (answer.Rss is RssInfo rss) WriteRss(output, rss);
        if (answer.Counters is CountersInfo counters) WriteCounters(output, counters);
        if (answer.Link is LinkInfo link) output.WriteLine(LinkLine(link));
    }

    public static string LinkLine(LinkInfo link) =>
        $"link {(link.Up ? "up" : "down")}: " + (link.Notified
            ? "the driver was sent a configuration change notification"
            : "the driver is not active; it reads the status when it starts");

    private static void WriteInfo(TextWriter output, DeviceInfo info)
    {
        Table table = Facts();
        DeviceStatusInfo status = info.Status;
        Add(table, "device", info.Name);
        Add(table, "status", (status.Active ? "active (DRIVER_OK)" : "not active") + (status.NeedsReset ? ", DEVICE_NEEDS_RESET" : ""));
        Add(table, "last failure", status.LastFailure is FailureInfo f
            ? $"{(f.Queue is int q ? $"queue {q}: " : "")}{f.Reason}: {f.Detail}"
            : "none");
        Add(table, "negotiated", Features(info.Features.Negotiated));
        Add(table, "offered", Features(info.Features.Offered));
        Add(table, "queue pairs", $"{info.QueuePairs.InUse} in use of {info.QueuePairs.Max}");
        Add(table, "mac", info.Mac);
        Add(table, "link", info.LinkUp ? "up" : "down");
        // The reason is the log line, which already starts "steering: BACKEND".
        Add(table, "steering", info.Steering is SteeringInfo s
            ? (s.Reason.StartsWith("steering: ", StringComparison.Ordinal) ? s.Reason["steering: ".Length..] : $"{s.Backend}: {s.Reason}")
            : "(no steering back end)");
        TerminalTable.Write(output, table);
    }

    private static void WriteRss(TextWriter output, RssInfo rss)
    {
        Table table = Facts();
        Add(table, "mode", rss.Mode switch
        {
            RssInfo.ModeRss => "RSS (RSS_CONFIG: the indirection table steers)",
            RssInfo.ModeHash => "hash report only (HASH_CONFIG: no steering by hash)",
            _ => "hashing off (no RSS or hash configuration since the last reset)",
        });
        Add(table, "pairs in use", rss.PairsInUse.ToString());
        Add(table, "generation", rss.Generation.ToString());
        if (rss.HashTypes is { } types) Add(table, "hash types", $"{(types.Count == 0 ? "none" : string.Join(' ', types))} ({rss.HashTypesHex})");
        if (rss.Key is string key) Add(table, "key", $"{key} ({key.Length / 2} bytes)");
        if (rss.UnclassifiedQueue is ushort unclassified) Add(table, "unclassified", $"queue {unclassified}");
        if (rss.MaxTxVq is ushort maxTx) Add(table, "max_tx_vq", maxTx.ToString());
        if (rss.IndirectionTable is { } entries)
        {
            Add(table, "table", $"{entries.Count} entries: {string.Join(',', entries)}");
            Add(table, "spread", string.Join(", ", entries.GroupBy(q => q).OrderBy(g => g.Key).Select(g => $"queue {g.Key}: {g.Count()}")));
        }
        TerminalTable.Write(output, table);
    }

    private static void WriteCounters(TextWriter output, CountersInfo counters)
    {
        var table = new Table().Border(TableBorder.Horizontal);
        foreach (string column in new[] { "pair", "rx packets", "rx bytes", "rx drops", "rx irqs", "tx packets", "tx bytes", "tx drops", "tx irqs" })
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }
        var notes = new List<string>();
        foreach (PairCountersInfo p in counters.Pairs)
        {
            table.AddRow(p.Pair.ToString(), p.Rx.Packets.ToString(), p.Rx.Bytes.ToString(), p.Rx.Dropped.ToString(), p.Rx.Notifications.ToString(),
                p.Tx.Packets.ToString(), p.Tx.Bytes.ToString(), p.Tx.Dropped.ToString(), p.Tx.Notifications.ToString());
            var reasons = new List<string>();
            Reason(reasons, "rx never fits", p.Rx.Drops.NeverFits);
            Reason(reasons, "rx offloads", p.Rx.Drops.Offloads);
            Reason(reasons, "rx back end", p.Rx.Drops.Backend);
            Reason(reasons, "rx read errors", p.Rx.BackendErrors);
            Reason(reasons, "hash reports downgraded", p.Rx.HashReportsRejected);
            Reason(reasons, "tx oversized", p.Tx.Drops.Oversized);
            Reason(reasons, "tx offloads", p.Tx.Drops.Offloads);
            Reason(reasons, "tx back end", p.Tx.Drops.Backend);
            if (reasons.Count > 0) notes.Add($"pair {p.Pair}: {string.Join(", ", reasons)}");
        }
        TerminalTable.Write(output, table);
        foreach (string note in notes) output.WriteLine(note);
        output.WriteLine("irqs: used buffer notifications the driver asked for (interrupts); drops by reason are listed per pair above");
    }

    private static Table Facts()
    {
        var table = new Table().Border(TableBorder.None).HideHeaders();
        table.AddColumn(new TableColumn("what"));
        table.AddColumn(new TableColumn("value"));
        return table;
    }

    private static void Add(Table table, string what, string value) => table.AddRow(new Text(what), new Text(value));

    private static string Features(FeatureBits bits) => bits.Names.Count == 0 ? $"{bits.Hex} (none)" : $"{bits.Hex}: {string.Join(' ', bits.Names)}";

    private static void Reason(List<string> reasons, string name, ulong count)
    {
        if (count != 0) reasons.Add($"{name} {count}");
    }
}
