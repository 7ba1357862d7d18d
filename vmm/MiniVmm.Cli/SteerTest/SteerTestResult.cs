namespace MiniVmm.Cli.SteerTest;

/// <summary>The outcome of comparing the probe's report with the expectations.</summary>
public sealed class SteerTestResult
{
    public required int Queues { get; init; }
    public required int FramesSent { get; init; }
    public required int FramesReceived { get; init; }
    public required bool HashReportChecked { get; init; }
    public required int[] ExpectedPerQueue { get; init; }
    public required int[] ReceivedPerQueue { get; init; }
    public required IReadOnlyList<Mismatch> Mismatches { get; init; }

    /// <summary>Frames the guest saw that the rig did not send (host traffic on the TAP), not counted as mismatches.</summary>
    public required int ForeignFrames { get; init; }

    public bool Passed => Mismatches.Count == 0 && FramesReceived == FramesSent;
}
