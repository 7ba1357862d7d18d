using MiniVmm.Cli.SteerTest;

namespace MiniVmm.UnitTests.SteerTest;

public class SteerTestComparisonTests
{
    private static readonly FlowExpectation[] Sent =
    [
        new(1, "ipv4/tcp", 1, 0x51ccc178, 2),
        new(2, "ipv6/udp", 0, 0x1234, 6),
        new(3, "arp", 2, 0, 0),
    ];

    [Fact]
    public void Every_frame_on_its_queue_passes_and_counts_per_queue()
    {
        ProbeRxEvent[] rx =
        [
            new(1, 1, 80, 0x51ccc178, 2),
            new(0, 2, 90, 0x1234, 6),
            new(2, 3, 60, 0, 0),
            new(0, -1, 70, 0, 0), // host traffic without an id
        ];
        SteerTestResult r = SteerTestComparison.Compare(Sent, rx, queues: 3, checkHash: true);
        Assert.True(r.Passed);
        Assert.Equal(new[] { 2, 1, 1 }, r.ReceivedPerQueue);
        Assert.Equal(new[] { 1, 1, 1 }, r.ExpectedPerQueue);
        Assert.Equal(1, r.ForeignFrames);
    }

    [Fact]
    public void Wrong_queue_wrong_hash_duplicate_and_missing_are_all_reported()
    {
        ProbeRxEvent[] rx =
        [
            new(0, 1, 80, 0x51ccc178, 2), // wrong queue
            new(0, 2, 90, 0x9999, 6),     // wrong hash
            new(0, 2, 90, 0x1234, 6),     // duplicate
        ];
        SteerTestResult r = SteerTestComparison.Compare(Sent, rx, queues: 3, checkHash: true);
        Assert.False(r.Passed);
        Assert.Equal(4, r.Mismatches.Count);
        Assert.Contains(r.Mismatches, m => m.FrameId == 1 && m.Problem.Contains("expected 1"));
        Assert.Contains(r.Mismatches, m => m.FrameId == 2 && m.Problem.StartsWith("hash"));
        Assert.Contains(r.Mismatches, m => m.FrameId == 2 && m.Problem.Contains("more than once"));
        Assert.Contains(r.Mismatches, m => m.FrameId == 3 && m.Problem == "never received");
    }

    [Fact]
    public void Hash_is_not_checked_when_hash_report_is_off()
    {
        ProbeRxEvent[] rx = [new(1, 1, 80, 0, 0), new(0, 2, 90, 0, 0), new(2, 3, 60, 0, 0)];
        Assert.True(SteerTestComparison.Compare(Sent, rx, 3, checkHash: false).Passed);
        Assert.False(SteerTestComparison.Compare(Sent, rx, 3, checkHash: true).Passed);
    }

    [Fact]
    public void Without_the_report_type_the_hash_value_is_still_checked()
    {
        // What a Linux guest's stack shows: the hash value, no report type (-1).
        ProbeRxEvent[] right = [new(1, 1, 80, 0x51ccc178, -1), new(0, 2, 90, 0x1234, -1), new(2, 3, 60, 0, -1)];
        Assert.True(SteerTestComparison.Compare(Sent, right, 3, checkHash: true, checkReportType: false).Passed);
        Assert.False(SteerTestComparison.Compare(Sent, right, 3, checkHash: true).Passed);
        ProbeRxEvent[] wrongValue = [new(1, 1, 80, 0x51ccc179, -1), right[1], right[2]];
        SteerTestResult r = SteerTestComparison.Compare(Sent, wrongValue, 3, checkHash: true, checkReportType: false);
        Assert.Equal(1u, Assert.Single(r.Mismatches).FrameId);
    }

    [Fact]
    public void Json_output_has_frames_mismatches_and_per_queue_counts()
    {
        SteerTestResult r = SteerTestComparison.Compare(Sent, [new(1, 1, 80, 0x51ccc178, 2)], 3, true);
        var w = new StringWriter();
        SteerTestRenderer.WriteJson(r, "software", "test", w);
        using var doc = System.Text.Json.JsonDocument.Parse(w.ToString());
        Assert.Equal(3, doc.RootElement.GetProperty("frames").GetInt32());
        Assert.Equal(2, doc.RootElement.GetProperty("mismatches").GetInt32());
        Assert.Equal(3, doc.RootElement.GetProperty("per_queue").GetArrayLength());
        Assert.False(doc.RootElement.GetProperty("passed").GetBoolean());
    }
}
