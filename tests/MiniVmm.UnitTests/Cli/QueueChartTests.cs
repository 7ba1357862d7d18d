using MiniVmm.Cli.Output;

namespace MiniVmm.UnitTests.Cli;

/// <summary>The per-queue tables (Spectre.Console) as a log or a pipe gets them: plain text, aligned, bars scaled to the largest count.</summary>
public sealed class QueueChartTests
{
    [Fact]
    public void Expected_and_received_per_queue_with_a_bar_of_what_arrived()
    {
        var output = new StringWriter();
        QueueChart.WriteExpectedAndReceived(output, [10, 20, 5], [10, 20, 4]);
        string[] lines = output.ToString().TrimEnd().Split('\n');
        Assert.DoesNotContain('\u001b', output.ToString());               // no escape sequences off a terminal
        Assert.All(lines, l => Assert.Equal(l.TrimEnd(), l));             // no padding at line ends
        Assert.Matches(@"^ +queue +expected +received +distribution$", lines[1]);
        Assert.Matches($@"^ +0 +10 +10 +{new string('█', 20)}$", lines[3]);
        Assert.Matches($@"^ +1 +20 +20 +{new string('█', QueueChart.BarWidth)}$", lines[4]);
        Assert.Matches($@"^ +2 +5 +4 +{new string('█', 8)}$", lines[5]);
        Assert.Equal(7, lines.Length); // rule, header, rule, three queues, rule
    }

    [Fact]
    public void Histogram_shows_frames_share_and_bar_and_an_empty_queue_without_a_bar()
    {
        var output = new StringWriter();
        QueueChart.WriteHistogram(output, [3, 0, 1]);
        string text = output.ToString();
        Assert.Matches($@"(?m)^ +0 +3 +75\.0% +{new string('█', QueueChart.BarWidth)}$", text);
        Assert.Matches(@"(?m)^ +1 +0 +0\.0%$", text);
        Assert.Matches($@"(?m)^ +2 +1 +25\.0% +{new string('█', 13)}$", text);
    }
}
