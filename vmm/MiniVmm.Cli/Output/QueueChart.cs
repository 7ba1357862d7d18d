using Spectre.Console;

namespace MiniVmm.Cli.Output;

/// <summary>
/// Per-queue tables with a bar chart column, drawn with Spectre.Console: aligned columns, bars
/// scaled to the largest count, and (on a terminal) rows whose counts differ from what was expected
/// in red. Off a terminal the output is plain text, at most 100 columns, no escape sequences (<see cref="TerminalTable"/>).
/// </summary>
public static class QueueChart
{
    public const int BarWidth = 40;

    /// <summary>steer-test: frames each queue should get and got; the bar is what it got.</summary>
    public static void WriteExpectedAndReceived(TextWriter output, IReadOnlyList<int> expected, IReadOnlyList<int> received)
    {
        var table = NewTable("queue", "expected", "received");
        int max = Math.Max(1, received.DefaultIfEmpty(0).Max());
        for (int q = 0; q < received.Count; q++)
        {
            Style style = expected[q] == received[q] ? Style.Plain : new Style(Color.Red);
            table.AddRow(new Text(q.ToString(), style), new Text(expected[q].ToString(), style), new Text(received[q].ToString(), style), Bar(received[q], max));
        }
        Write(output, table);
    }

    /// <summary>rss --pcap: frames per queue for the given table.</summary>
    public static void WriteHistogram(TextWriter output, IReadOnlyList<int> frames)
    {
        var table = NewTable("queue", "frames", "share");
        int max = Math.Max(1, frames.DefaultIfEmpty(0).Max());
        double total = Math.Max(1, frames.Sum());
        for (int q = 0; q < frames.Count; q++)
            table.AddRow(new Text(q.ToString()), new Text(frames[q].ToString()), new Text($"{frames[q] * 100 / total:F1}%"), Bar(frames[q], max));
        Write(output, table);
    }

    private static Table NewTable(params string[] numberColumns)
    {
        var table = new Table().Border(TableBorder.Horizontal);
        foreach (string name in numberColumns) table.AddColumn(new TableColumn(name).RightAligned());
        table.AddColumn(new TableColumn("distribution"));
        return table;
    }

    private static Text Bar(int value, int max) => new(new string('█', (int)Math.Round((double)value * BarWidth / max)), new Style(Color.Green));

    private static void Write(TextWriter output, Table table) => TerminalTable.Write(output, table);
}
