using MiniVmm.Cli.SteerTest;

namespace MiniVmm.UnitTests.SteerTest;

public class ProbeReportTests
{
    [Fact]
    public void Parses_rx_lines_with_hex_hash_and_negative_id()
    {
        var report = new ProbeReport();
        Assert.True(report.Accept("rx q=3 id=17 len=74 hash=0x323e8fc2 report=2\r"));
        Assert.True(report.Accept("rx q=0 id=-1 len=60 hash=0x00000000 report=0"));
        Assert.Equal(2, report.Received.Count);
        Assert.Equal(new ProbeRxEvent(3, 17, 74, 0x323e8fc2, 2), report.Received[0]);
        Assert.Equal(-1, report.Received[1].FrameId);
    }

    [Fact]
    public void Tracks_ready_done_tx_and_errors()
    {
        var report = new ProbeReport();
        report.Accept("probe: hello");
        report.Accept("probe: ready pairs=4 features=0x1 hash_report=1");
        report.Accept("tx q=2 sent=100");
        report.Accept("probe: fault vector=13 rip=0x1234");
        report.Accept("probe: done frames=0");
        Assert.Equal(1, report.ReadyCount);
        Assert.True(report.Done);
        Assert.Equal(100, report.Transmitted[2]);
        Assert.Single(report.Errors);
    }

    [Theory]
    [InlineData("rx q=1 id=2 len=3 hash=zz report=1")]
    [InlineData("rx q=1 len=3 hash=0x1 report=1")]
    [InlineData("rx garbage")]
    public void Rejects_malformed_rx_lines(string line)
    {
        var report = new ProbeReport();
        Assert.False(report.Accept(line));
        Assert.Empty(report.Received);
    }
}
