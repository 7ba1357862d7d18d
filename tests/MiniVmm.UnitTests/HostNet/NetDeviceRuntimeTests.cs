using MiniVmm.Memory;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.UnitTests.HostNet;

/// <summary>
/// The device's threads: workers follow the device's life (started at DRIVER_OK, stopped and joined at
/// reset, started again at the next activation), a failing back end or a fault is reported and a
/// reset recovers, each round serves one budget per direction, and bus mastering off means no DMA.
/// </summary>
public sealed class NetDeviceRuntimeTests
{
    private static ulong Features => NetTestRig.BaseFeatures();

    private static byte[] Frame(int length) => Enumerable.Range(0, length).Select(i => (byte)i).ToArray();

    /// <summary>Posts one control command (class, command, data) and returns the ack address.</summary>
    private static GuestAddress PostControl(RuntimeTestRig rig, params byte[] command)
    {
        GuestAddress cmd = rig.Driver.Allocate((ulong)command.Length);
        GuestAddress ack = rig.Driver.Allocate(1);
        rig.Memory.Write(cmd, command);
        rig.Memory.Write(ack, [0xAA]);
        rig.Control.AddChain((cmd, (uint)command.Length, false), (ack, 1, true));
        rig.Driver.Notify(rig.Device.ControlQueueIndex);
        return ack;
    }

    [Fact]
    public void Workers_start_at_activation_stop_at_reset_and_start_again()
    {
        using var rig = new RuntimeTestRig(pairs: 2);
        Assert.Equal(0, rig.Runtime.RunningPairWorkers);
        rig.Start(Features);
        Assert.Equal(2, rig.Runtime.RunningPairWorkers);
        Assert.True(rig.Runtime.ControlWorkerRunning);
        // §5.1.6.5.5: "After initialization of reset, the device MUST queue packets only on receiveq1."
        Assert.Equal(SteeringState.Initial, rig.Backend.Applied[^1]);
        Assert.Equal(1, rig.Backend.Activations);

        rig.Reset();
        Assert.Equal(0, rig.Runtime.RunningPairWorkers);
        Assert.False(rig.Runtime.ControlWorkerRunning);

        rig.Start(Features);
        Assert.Equal(2, rig.Runtime.RunningPairWorkers);
        Assert.Equal(2, rig.Backend.Activations);
    }

    [Fact]
    public void Without_mq_only_pair_0_carries_data_and_queue_2_is_the_control_queue()
    {
        using var rig = new RuntimeTestRig(pairs: 2);
        rig.Start(NetTestRig.Bit(VirtioFeature.Version1) | NetTestRig.Bit(VirtioNetFeature.CtrlVq));
        Assert.Equal(1, rig.Runtime.RunningPairWorkers);
        Assert.Equal(2, rig.Device.ControlQueueIndex);
        GuestAddress ack = PostControl(rig, 4, 0, 1, 0); // VQ_PAIRS_SET without MQ: refused, but answered
        Assert.True(RuntimeTestRig.WaitFor(() => rig.Memory.GetSpan(ack, 1)[0] != 0xAA), "control queue not served");
        Assert.Equal(1, rig.Memory.GetSpan(ack, 1)[0]);
    }

    [Fact]
    public void A_packet_from_the_back_end_reaches_the_guest_through_the_worker()
    {
        using var rig = new RuntimeTestRig(pairs: 1);
        rig.Start(Features);
        var buffer = new GuestAddress(0x200000);
        rig.Rx(0).AddChain((buffer, 1526, true));
        rig.Driver.Notify(0);
        rig.Backend.Ports[0].Inject(Frame(60));
        Assert.True(RuntimeTestRig.WaitFor(() => rig.Rx(0).UsedIdx == 1), "not delivered");
        Assert.True(RuntimeTestRig.WaitFor(() => rig.Msi.Count(0) == 1), "no interrupt");
        Assert.Equal(Frame(60), rig.Memory.GetSpan(buffer + 12, 60).ToArray());
    }

    [Fact]
    public void Resets_while_traffic_flows_never_fail_a_worker()
    {
        using var rig = new RuntimeTestRig(pairs: 1);
        for (int round = 0; round < 50; round++)
        {
            rig.Start(Features, queueSize: 16);
            for (int i = 0; i < 8; i++)
            {
                rig.Rx(0).AddChain((rig.Driver.Allocate(2048), 2048, true));
                rig.Tx(0).AddChain((rig.Driver.Allocate(128), 72, false));
                rig.Backend.Ports[0].Inject(Frame(60));
            }
            rig.Driver.Notify(0);
            rig.Driver.Notify(1);
            rig.Reset();
            Assert.Equal(0, rig.Runtime.RunningPairWorkers);
        }
        Assert.False(rig.NeedsReset);
        Assert.Empty(rig.Log);
    }

    [Fact]
    public void A_back_end_that_keeps_failing_marks_needs_reset_and_a_guest_reset_brings_the_pair_back()
    {
        using var rig = new RuntimeTestRig(pairs: 1);
        rig.Start(Features);
        // EIO on every read, as a TAP queue whose interface is going away answers.
        rig.Backend.Ports[0].InjectResults(Enumerable.Repeat(BackendResult.Failed(5), NetQueuePair.MaxConsecutiveBackendErrors).ToArray());
        Assert.True(RuntimeTestRig.WaitFor(() => rig.NeedsReset), "the failure was not reported");
        Assert.Equal(VirtioError.BackendFailed, rig.Transport.LastFailure?.Reason);
        Assert.Equal(0, rig.Runtime.RunningPairWorkers);

        rig.Start(Features);
        Assert.False(rig.NeedsReset);
        var buffer = new GuestAddress(0x200000);
        rig.Rx(0).AddChain((buffer, 1526, true));
        rig.Driver.Notify(0);
        rig.Backend.Ports[0].Inject(Frame(60));
        Assert.True(RuntimeTestRig.WaitFor(() => rig.Rx(0).UsedIdx == 1), "the pair was not served after the reset");
    }

    [Fact]
    public void Read_errors_that_pass_are_counted_and_the_next_packet_is_delivered()
    {
        using var rig = new RuntimeTestRig(pairs: 1);
        rig.Start(Features);
        rig.Rx(0).AddChain((new GuestAddress(0x200000), 1526, true));
        rig.Driver.Notify(0);
        rig.Backend.Ports[0].InjectResults(BackendResult.Dropped(22), BackendResult.Failed(12), BackendResult.Failed(12));
        rig.Backend.Ports[0].Inject(Frame(60));
        Assert.True(RuntimeTestRig.WaitFor(() => rig.Rx(0).UsedIdx == 1), "not delivered after the errors");
        Assert.False(rig.NeedsReset);
        NetQueuePairCounters counters = rig.Device.Pairs[0].Counters;
        Assert.Equal((1UL, 2UL), (counters.RxDroppedBackend, counters.RxBackendErrors));
    }

    [Fact]
    public void A_flood_of_received_packets_does_not_keep_a_transmit_chain_waiting()
    {
        using var rig = new RuntimeTestRig(pairs: 1);
        rig.Start(Features);
        FakePairPort port = rig.Backend.Ports[0];
        GuestAddress data = rig.Driver.Allocate(72);
        rig.Memory.Write(data, new byte[72]);
        int readsWhenSent = -1;
        port.OnWrite = reads => readsWhenSent = reads;
        port.OnRead = reads =>
        {
            // The guest queues a frame while the device is busy receiving.
            if (reads == 300)
            {
                rig.Tx(0).AddChain((data, 72, false));
                rig.Driver.Notify(1);
            }
        };
        // 20,000 packets with a partial checksum the guest did not negotiate: each is read and dropped,
        // so receiving needs no guest buffers and would go on until the back end is empty.
        for (int i = 0; i < 20_000; i++) port.Inject(Frame(60), flags: 1);
        Assert.True(RuntimeTestRig.WaitFor(() => readsWhenSent >= 0), "never transmitted");
        // One receive budget at most, then the worker serves transmit.
        Assert.InRange(readsWhenSent, 300, 300 + NetQueuePair.DefaultBudget);
    }

    [Fact]
    public void With_bus_mastering_off_no_worker_runs_and_with_it_back_on_the_queued_command_is_answered()
    {
        using var rig = new RuntimeTestRig(pairs: 1);
        rig.Start(Features);
        uint command = rig.Transport.ReadConfig(4, 2);
        rig.Transport.WriteConfig(4, 2, command & ~4u); // PCI command bit 2: Bus Master Enable
        // PCI 3.0 §6.2.2: with Bus Master Enable clear the function must not master the bus (no DMA).
        Assert.Equal(0, rig.Runtime.RunningPairWorkers);
        Assert.False(rig.Runtime.ControlWorkerRunning);
        GuestAddress ack = PostControl(rig, 4, 0, 1, 0);
        Assert.Equal(0xAA, rig.Memory.GetSpan(ack, 1)[0]);

        rig.Transport.WriteConfig(4, 2, command);
        Assert.Equal(1, rig.Runtime.RunningPairWorkers);
        Assert.True(RuntimeTestRig.WaitFor(() => rig.Memory.GetSpan(ack, 1)[0] == 0), "the command waiting in the ring was not answered");
    }

    [Fact]
    public void A_host_failure_in_a_control_command_fails_the_command_restores_the_host_and_keeps_the_vm()
    {
        using var rig = new RuntimeTestRig(pairs: 2);
        rig.Start(Features);
        rig.Backend.FailApplyErrno = 12; // ENOMEM from TUNSETQUEUE
        GuestAddress ack = PostControl(rig, 4, 0, 2, 0);
        Assert.True(RuntimeTestRig.WaitFor(() => rig.Memory.GetSpan(ack, 1)[0] != 0xAA), "not answered");
        Assert.Equal(1, rig.Memory.GetSpan(ack, 1)[0]); // VIRTIO_NET_ERR
        Assert.Equal(1, rig.Device.Steering.Pairs);
        Assert.False(rig.NeedsReset);
        Assert.Contains(rig.Log, line => line.Contains("TUNSETQUEUE") && line.Contains("ENOMEM"));

        rig.Backend.FailApplyErrno = null;
        ack = PostControl(rig, 4, 0, 2, 0);
        Assert.True(RuntimeTestRig.WaitFor(() => rig.Memory.GetSpan(ack, 1)[0] == 0), "the next command failed");
        Assert.Equal(2, rig.Device.Steering.Pairs);
        Assert.Equal(2, rig.Backend.Applied[^1].Pairs);
    }

    [Fact]
    public void A_guest_error_on_one_queue_stops_every_worker_until_reset()
    {
        using var rig = new RuntimeTestRig(pairs: 2);
        rig.Start(Features);
        // transmitq1 gets a chain that loops: §2.1.2, the device needs a reset.
        rig.Tx(0).WriteDescriptor(0, 0x80000, 64, 1, 0);
        rig.Tx(0).Publish(0);
        rig.Driver.Notify(1);
        Assert.True(RuntimeTestRig.WaitFor(() => rig.NeedsReset), "not reported");
        Assert.Equal(VirtioError.ChainTooLong, rig.Transport.LastFailure?.Reason);
        Assert.True(RuntimeTestRig.WaitFor(() => rig.Runtime.RunningPairWorkers == 0), "workers still running");
        Assert.False(rig.Runtime.ControlWorkerRunning);
        rig.Start(Features);
        Assert.Equal(2, rig.Runtime.RunningPairWorkers);
        Assert.False(rig.NeedsReset);
    }
}
