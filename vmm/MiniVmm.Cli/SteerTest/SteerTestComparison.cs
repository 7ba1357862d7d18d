namespace MiniVmm.Cli.SteerTest;

/// <summary>
/// Lines up what the host sent with what the probe guest received: every frame must arrive once,
/// on its expected queue, and (with hash report on) with the expected hash value and report type.
/// A Linux guest's stack keeps the hash value but not the report type where the rig can read it
/// (<c>__sk_buff</c>), so there <c>checkReportType</c> is false and only the value is compared.
/// </summary>
public static class SteerTestComparison
{
    public static SteerTestResult Compare(IReadOnlyList<FlowExpectation> sent, IReadOnlyList<ProbeRxEvent> received,
        int queues, bool checkHash, bool checkReportType = true)
    {
        var byId = new Dictionary<uint, FlowExpectation>(sent.Count);
        foreach (FlowExpectation e in sent) byId[e.FrameId] = e;

        var seen = new Dictionary<uint, int>(sent.Count);
        var mismatches = new List<Mismatch>();
        int[] expectedPerQueue = new int[queues];
        int[] receivedPerQueue = new int[queues];
        int foreign = 0, ours = 0;

        foreach (FlowExpectation e in sent)
        {
            if (e.Queue >= 0 && e.Queue < queues) expectedPerQueue[e.Queue]++;
        }

        foreach (ProbeRxEvent rx in received)
        {
            if (rx.Queue >= 0 && rx.Queue < queues) receivedPerQueue[rx.Queue]++;
            if (rx.FrameId < 0 || rx.FrameId > uint.MaxValue || !byId.TryGetValue((uint)rx.FrameId, out FlowExpectation? e))
            {
                foreign++;
                continue;
            }
            ours++;
            seen[e.FrameId] = seen.GetValueOrDefault(e.FrameId) + 1;
            if (seen[e.FrameId] > 1)
            {
                mismatches.Add(new Mismatch(e.FrameId, e.Description, "received more than once"));
                continue;
            }
            if (rx.Queue != e.Queue)
                mismatches.Add(new Mismatch(e.FrameId, e.Description, $"queue {rx.Queue}, expected {e.Queue}"));
            else if (checkHash && (rx.HashValue != e.HashValue || (checkReportType && rx.HashReport != e.HashReport)))
                mismatches.Add(new Mismatch(e.FrameId, e.Description,
                    $"hash 0x{rx.HashValue:x8}/report {rx.HashReport}, expected 0x{e.HashValue:x8}/report {e.HashReport}"));
        }

        foreach (FlowExpectation e in sent)
        {
            if (!seen.ContainsKey(e.FrameId)) mismatches.Add(new Mismatch(e.FrameId, e.Description, "never received"));
        }

        return new SteerTestResult
        {
            Queues = queues,
            FramesSent = sent.Count,
            FramesReceived = ours,
            HashReportChecked = checkHash,
            ExpectedPerQueue = expectedPerQueue,
            ReceivedPerQueue = receivedPerQueue,
            Mismatches = mismatches,
            ForeignFrames = foreign,
        };
    }
}
