using MiniVmm.Cli.SteerTest;
using MiniVmm.HostNet.Steering;
using MiniVmm.IntegrationTests.Infrastructure;

namespace MiniVmm.IntegrationTests.EndToEnd;

/// <summary>
/// The probe guest under real KVM on MiniVmm's virtio-net and a real multiqueue TAP: every frame of
/// the flow set on the queue virtio 1.2 §5.1.6.4.3 says ("the device ... calculates the hash ...
/// and uses it to select the receive virtqueue: indirection_table[hash &amp; indirection_table_mask]"),
/// with the hash it reports, for each back end available here.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed class SteeringEndToEndTests
{
    [HostTheory(HostNeeds.Kvm | HostNeeds.Tap | HostNeeds.Bpf)]
    [InlineData(SteeringRequest.EbpfHybrid, 1)]
    [InlineData(SteeringRequest.EbpfHybrid, 2)]
    [InlineData(SteeringRequest.EbpfHybrid, 4)]
    [InlineData(SteeringRequest.Software, 1)]
    [InlineData(SteeringRequest.Software, 2)]
    [InlineData(SteeringRequest.Software, 4)]
    public void Every_frame_lands_on_its_queue_with_the_right_hash(SteeringRequest steering, int queues)
    {
        var (result, run) = SteerTestFixture.Execute(new SteerTestOptions { Queues = queues, Frames = 300, Steering = steering });
        SteerTestFixture.AssertAllMatched(result, run);
        Assert.Equal(SteeringSelector.Name(steering == SteeringRequest.Software ? SteeringBackendKind.Software : SteeringBackendKind.EbpfHybrid), run.BackendName);
        // 300 frames over a 128-entry table spread round-robin: every queue must get some.
        Assert.All(result.ReceivedPerQueue, n => Assert.True(n > 0, $"a queue got no frames: {string.Join(',', result.ReceivedPerQueue)}"));
    }

    [HostTheory(HostNeeds.Kvm | HostNeeds.Tap | HostNeeds.Bpf)]
    [InlineData(SteeringRequest.EbpfHybrid)]
    [InlineData(SteeringRequest.Software)]
    public void With_hash_report_off_frames_still_land_on_their_queues(SteeringRequest steering)
    {
        var (result, run) = SteerTestFixture.Execute(new SteerTestOptions { Queues = 4, Frames = 200, Steering = steering, HashReport = false });
        SteerTestFixture.AssertAllMatched(result, run);
        Assert.False(result.HashReportChecked);
    }

    [HostTheory(HostNeeds.Kvm | HostNeeds.Tap | HostNeeds.Bpf)]
    [InlineData(SteeringRequest.EbpfHybrid)]
    [InlineData(SteeringRequest.Software)]
    public void A_second_rss_config_at_run_time_moves_flows(SteeringRequest steering)
    {
        // Phase 2 reverses the table: a flow on queue q moves to queue 3 - q, and a new key changes every hash.
        var options = new SteerTestOptions
        {
            Queues = 4, Frames = 200, Steering = steering,
            Table = [0, 1, 2, 3], Table2 = [3, 2, 1, 0],
            Key2 = Enumerable.Range(1, 40).Select(i => (byte)(i * 37)).ToArray(),
        };
        var (result, run) = SteerTestFixture.Execute(options);
        SteerTestFixture.AssertAllMatched(result, run);
        Assert.True(result.FramesSent > 400, "both phases must have been sent");
    }

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap | HostNeeds.Bpf)]
    public void A_table_pointing_everything_at_one_queue_is_obeyed()
    {
        var (result, run) = SteerTestFixture.Execute(new SteerTestOptions { Queues = 4, Frames = 100, Table = [2, 2, 2, 2], Unclassified = 2 });
        SteerTestFixture.AssertAllMatched(result, run);
        Assert.Equal(result.FramesSent, result.ExpectedPerQueue[2]);
    }
}
