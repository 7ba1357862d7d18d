using MiniVmm.HostNet;
using MiniVmm.HostNet.VhostUser;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.VhostUser;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.UnitTests.HostNet;

/// <summary>
/// The device core served over vhost-user, driven as a session drives it (activate, start and stop
/// single rings, reset) over fake guest memory and fake ports: rings resume where the front end
/// says, the workers' notifications reach the ring's call notifier, a failed ring signals its error
/// fd, and a front end that keeps the control queue steers the receive pairs by the rings it starts.
/// </summary>
public sealed class VhostUserNetDeviceTests : IDisposable
{
    private const ushort Size = 64;
    private readonly ArrayGuestMemory _memory = new(4 << 20);
    private readonly FakeNetBackend _backend = new(2);
    private readonly NetDeviceRuntime _runtime;
    private readonly VhostUserNetDevice _device;
    private readonly List<string> _log = [];
    private readonly List<EventFd> _kicks = [];
    private ulong _nextFree = 0x10000;

    public VhostUserNetDeviceTests()
    {
        _runtime = new NetDeviceRuntime("vu0", new VirtioNetOptions { QueuePairs = 2 }, _backend, _log.Add);
        _device = new VhostUserNetDevice(_runtime, line => { lock (_log) _log.Add(line); });
    }

    public void Dispose()
    {
        _runtime.Dispose();
        foreach (EventFd kick in _kicks) kick.Dispose();
    }

    private static ulong Features(params int[] bits) => NetTestRig.BaseFeatures(bits);

    /// <summary>Lays out a ring in fake memory as a front end would, and the setup the session would pass.</summary>
    private (VirtqueueDriver Driver, VhostRingSetup Setup, CountingNotifier Call, CountingNotifier Error, EventFd Kick) Ring(ushort lastAvail = 0)
    {
        (ulong descBytes, ulong availBytes, ulong usedBytes) = VirtqueueDriver.RingBytes(Size);
        GuestAddress desc = Allocate(descBytes), avail = Allocate(availBytes), used = Allocate(usedBytes);
        var kick = new EventFd();
        _kicks.Add(kick);
        var call = new CountingNotifier();
        var error = new CountingNotifier();
        var setup = new VhostRingSetup(Size, desc, avail, used, lastAvail, kick.Handle, call, error);
        return (new VirtqueueDriver(_memory, Size, desc, avail, used), setup, call, error, kick);
    }

    private GuestAddress Allocate(ulong bytes)
    {
        _nextFree = (_nextFree + 15) & ~15UL;
        var at = new GuestAddress(_nextFree);
        _nextFree += bytes;
        return at;
    }

    [Fact]
    public void Activation_refuses_features_the_device_did_not_offer_or_that_contradict_each_other()
    {
        Assert.Throws<ArgumentException>(() => _device.Activate(Features() | (1UL << 34), _memory)); // RING_PACKED
        Assert.Throws<ArgumentException>(() => _device.Activate(NetTestRig.Bit(VirtioFeature.Version1) | NetTestRig.Bit(VirtioNetFeature.Rss), _memory)); // RSS needs our control queue
        Assert.False(_runtime.Device.IsActive);
    }

    [Fact]
    public void A_front_end_that_keeps_the_control_queue_negotiates_mq_without_ctrl_vq()
    {
        // QEMU 7.2's SET_FEATURES, as captured (VhostUser/Captures/qemu-7.2-probe-2pairs.txt, line 43):
        // 0x140400000 = VERSION_1 | bit 30 (VHOST_USER_F_PROTOCOL_FEATURES, which the session strips) | MQ.
        // QEMU serves the control queue itself, so MQ reaches the back end without CTRL_VQ (§5.1.3.1's
        // dependency is met by the front end); VQ_PAIRS_SET then arrives as ring enables.
        _device.Activate(0x100400000UL, _memory);
        Assert.True(_runtime.Device.IsActive);
        _device.StartRing(0, Ring().Setup);
        _device.StartRing(2, Ring().Setup); // receiveq2: there is no control queue of ours
        Assert.Equal(2, _runtime.RunningPairWorkers);
        Assert.Equal(2, _runtime.Device.Steering.Pairs);
    }

    [Fact]
    public void A_started_receive_ring_delivers_and_signals_its_call_notifier()
    {
        _device.Activate(Features(), _memory);
        var rx = Ring();
        var buffer = Allocate(2048);
        rx.Driver.AddChain((buffer, 2048, true));
        _device.StartRing(0, rx.Setup);
        Assert.Equal(1, _runtime.RunningPairWorkers);
        _backend.Ports[0].Inject([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
        Assert.True(RuntimeTestRig.WaitFor(() => rx.Driver.UsedIdx == 1), "not delivered");
        Assert.True(RuntimeTestRig.WaitFor(() => rx.Call.Count == 1), "the call notifier was not signalled");
    }

    [Fact]
    public void A_ring_resumes_from_the_front_ends_base_and_the_used_index_in_guest_memory()
    {
        _device.Activate(Features(), _memory);
        var tx = Ring(lastAvail: 5);
        // The guest had 5 chains made available and used before the restart; it now adds a sixth.
        GuestAddress data = Allocate(72);
        _memory.Write(data, new byte[72]);
        for (int i = 0; i < 6; i++) tx.Driver.AddChain((data, 72, false));
        _memory.WriteU16(tx.Setup.UsedRing + 2, 5);
        _device.StartRing(1, tx.Setup);
        tx.Kick.Signal();
        Assert.True(RuntimeTestRig.WaitFor(() => _memory.ReadU16(tx.Setup.UsedRing + 2) == 6), "the sixth chain was not completed after index 5");
        Assert.Single(_backend.Ports[0].FromGuest);
        Assert.Equal((ushort)6, _device.StopRing(1));
        Assert.Equal(0, _runtime.RunningPairWorkers);
    }

    [Fact]
    public void Stopping_one_ring_of_a_pair_keeps_the_other_served()
    {
        _device.Activate(Features(), _memory);
        var rx = Ring();
        var tx = Ring();
        _device.StartRing(0, rx.Setup);
        _device.StartRing(1, tx.Setup);
        _device.StopRing(0);
        Assert.Equal(1, _runtime.RunningPairWorkers);
        GuestAddress data = Allocate(72);
        _memory.Write(data, new byte[72]);
        tx.Driver.AddChain((data, 72, false));
        tx.Kick.Signal();
        Assert.True(RuntimeTestRig.WaitFor(() => tx.Driver.UsedIdx == 1), "transmit stopped with the receive ring");
    }

    [Fact]
    public void A_ring_outside_guest_memory_fails_to_start_and_nothing_serves_it()
    {
        _device.Activate(Features(), _memory);
        var rx = Ring();
        var outside = rx.Setup with { DescriptorTable = new GuestAddress(8 << 20) };
        Assert.Throws<ArgumentException>(() => _device.StartRing(0, outside));
        Assert.Equal(0, _runtime.RunningPairWorkers);
        Assert.False(_runtime.Device.Queues[0].IsEnabled);
    }

    [Fact]
    public void A_ring_the_guest_breaks_signals_its_error_fd_and_halts_the_device_until_a_reset()
    {
        _device.Activate(Features(), _memory);
        var tx = Ring();
        _device.StartRing(1, tx.Setup);
        tx.Driver.WriteDescriptor(0, 0x80000, 64, 1, 0); // a descriptor that chains to itself
        tx.Driver.Publish(0);
        tx.Kick.Signal();
        Assert.True(RuntimeTestRig.WaitFor(() => tx.Error.Count == 1), "the error fd was not signalled");
        Assert.Contains(_log, line => line.Contains(nameof(VirtioError.ChainTooLong)));
        // The device waits for the front end's reset and keeps why, for ctl info.
        Assert.True(_runtime.Device.NeedsReset);
        Assert.Equal(VirtioError.ChainTooLong, _runtime.Device.LastFailure?.Reason);
        _device.StopRing(1); // the session stops the failed ring; its parked worker is joined
        Assert.Equal(0, _runtime.RunningPairWorkers);

        // What a front end does next (QEMU: the device is broken until the guest resets it).
        _device.Reset();
        Assert.False(_runtime.Device.NeedsReset);
        _device.Activate(Features(), _memory);
        var again = Ring();
        _device.StartRing(1, again.Setup);
        GuestAddress data = Allocate(72);
        _memory.Write(data, new byte[72]);
        again.Driver.AddChain((data, 72, false));
        again.Kick.Signal();
        Assert.True(RuntimeTestRig.WaitFor(() => again.Driver.UsedIdx == 1), "the device did not serve again after the reset");
    }

    [Fact]
    public void Without_ctrl_vq_the_receive_pairs_follow_the_receive_rings_the_front_end_starts()
    {
        // QEMU keeps the control queue: CTRL_VQ never reaches the back end, and VQ_PAIRS_SET
        // becomes SET_VRING_ENABLE of the rings of the pairs in use.
        _device.Activate(NetTestRig.Bit(VirtioFeature.Version1) | NetTestRig.Bit(VirtioNetFeature.Mac), _memory);
        _device.StartRing(0, Ring().Setup);
        _device.StartRing(1, Ring().Setup);
        _device.StartRing(2, Ring().Setup); // queue 2 is receiveq2 here, not a control queue
        Assert.Equal(2, _runtime.RunningPairWorkers);
        Assert.Equal(2, _runtime.Device.Steering.Pairs);
        Assert.Equal(2, _backend.Applied[^1].Pairs);
        _device.StopRing(2);
        Assert.Equal(1, _runtime.Device.Steering.Pairs);
    }

    [Fact]
    public void With_ctrl_vq_the_control_ring_gets_its_worker_and_answers_commands()
    {
        _device.Activate(Features(), _memory);
        var control = Ring();
        _device.StartRing(4, control.Setup); // 2N with MQ and 2 pairs
        Assert.True(_runtime.ControlWorkerRunning);
        GuestAddress cmd = Allocate(4), ack = Allocate(1);
        _memory.Write(cmd, [4, 0, 2, 0]); // VQ_PAIRS_SET 2
        _memory.Write(ack, [0xAA]);
        control.Driver.AddChain((cmd, 4, false), (ack, 1, true));
        control.Kick.Signal();
        Assert.True(RuntimeTestRig.WaitFor(() => _memory.GetSpan(ack, 1)[0] == 0), "not answered OK");
        Assert.Equal(2, _runtime.Device.Steering.Pairs);
        Assert.True(RuntimeTestRig.WaitFor(() => control.Call.Count >= 1));
    }

    [Fact]
    public void Reset_stops_every_worker_and_forgets_the_rings_and_the_steering()
    {
        _device.Activate(Features(), _memory);
        _device.StartRing(0, Ring().Setup);
        _device.StartRing(4, Ring().Setup);
        _device.Reset();
        Assert.Equal(0, _runtime.RunningPairWorkers);
        Assert.False(_runtime.ControlWorkerRunning);
        Assert.All(_runtime.Device.Queues, q => Assert.False(q.IsEnabled));
        Assert.Equal(SteeringState.Initial, _runtime.Device.Steering);
    }

    [Fact]
    public void A_link_change_reaches_the_session_as_a_config_change()
    {
        int changes = 0;
        _device.ConfigChanged += () => changes++;
        _device.Activate(Features(), _memory);
        _runtime.Device.SetLinkUp(false);
        Assert.Equal(1, changes);
        Span<byte> status = stackalloc byte[2];
        _device.ReadConfig(6, status);
        Assert.Equal(0, status[0]); // VIRTIO_NET_S_LINK_UP clear
    }

    private sealed class CountingNotifier : IVhostRingNotifier
    {
        private int _count;
        public int Count => Volatile.Read(ref _count);
        public void Signal() => Interlocked.Increment(ref _count);
    }
}
