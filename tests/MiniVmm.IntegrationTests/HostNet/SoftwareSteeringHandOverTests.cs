using MiniVmm.HostNet;
using MiniVmm.HostNet.Software;
using MiniVmm.HostNet.Steering;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Rss;
using MiniVmm.Virtio.Net;

namespace MiniVmm.IntegrationTests.HostNet;

/// <summary>
/// Software steering's hand-over between pairs, driven port by port on a real TAP (no worker
/// threads, so the interleaving is the test's): while every destination has guest buffers, a full
/// hand-over ring holds the sender back instead of dropping (issue 11, item 6).
/// </summary>
public sealed class SoftwareSteeringHandOverTests
{
    private const int Pairs = 2;

    /// <summary>Room for about 90 small frames per destination, so a burst overflows it.</summary>
    private const int SmallRingBytes = 8192;

    /// <summary>Sends <paramref name="count"/> test frames that RSS puts on pair 1; returns their ids.</summary>
    private static HashSet<uint> SendForPair1(string name, RssConfiguration config, int count)
    {
        // The kernel spreads them over both TAP queues by its own flow hash (tun's rings hold 500
        // each), so about half arrive on queue 0.
        var sent = new HashSet<uint>();
        using PacketInjector injector = PacketInjector.Open(name);
        for (uint id = 1; sent.Count < count; id++)
        {
            byte[] frame = TapTestKit.UdpFrame(id, sourcePort: (ushort)(1000 + id % 20000));
            if (RssHasher.Compute(frame, config).Queue != 1) continue;
            injector.Send(frame);
            sent.Add(id);
        }
        return sent;
    }

    [HostFact(HostNeeds.Tap)]
    public void A_burst_for_a_busy_pair_waits_for_its_ring_instead_of_being_dropped()
    {
        string name = TapTestKit.UniqueName();
        using Tap tap = Tap.Create(name, Pairs);
        using var software = new SoftwareSteeringBackend(tap, SmallRingBytes);
        RssConfiguration config = RssConfiguration.Spread(Pairs);
        software.Apply(new SteeringState(config, Pairs, 1));
        TapTestKit.Drain(tap.Queues);

        HashSet<uint> sent = SendForPair1(name, config, 800);

        IPairPort port0 = software.PortOf(0), port1 = software.PortOf(1);
        var buffer = new byte[NetQueuePair.RxBufferBytes];
        var got = new HashSet<uint>();
        int header = tap.Queues[0].HeaderBytes;
        for (int round = 0, idle = 0; idle < 3 && round < 1000; round++)
        {
            bool moved = false;
            // Worker 0 gets 20 turns while worker 1 waits for a CPU (both guests have buffers).
            for (int turn = 0; turn < 20; turn++)
            {
                while (port0.Read(buffer).Status == BackendStatus.Done) moved = true;
            }
            // Then worker 1 takes everything it can.
            BackendResult r;
            while ((r = port1.Read(buffer)).Status != BackendStatus.WouldBlock)
            {
                if (r.Status != BackendStatus.Done) continue;
                moved = true;
                if (TapTestKit.FrameId(buffer.AsSpan(header, r.Bytes - header)) is uint id) got.Add(id);
            }
            idle = moved ? 0 : idle + 1;
        }

        Assert.True(software.HandedOverTo(1) > SmallRingBytes / 64, $"only {software.HandedOverTo(1)} frames came through TAP queue 0: the burst did not overflow the ring");
        Assert.Equal(0, software.DroppedPackets);
        Assert.Equal(sent.Count, got.Intersect(sent).Count());
    }

    [HostFact(HostNeeds.Tap)]
    public void Frames_for_a_pair_without_guest_buffers_are_dropped_with_that_reason_and_never_hold_the_sender()
    {
        string name = TapTestKit.UniqueName();
        using Tap tap = Tap.Create(name, Pairs);
        using var software = new SoftwareSteeringBackend(tap, SmallRingBytes);
        RssConfiguration config = RssConfiguration.Spread(Pairs);
        software.Apply(new SteeringState(config, Pairs, 1));
        TapTestKit.Drain(tap.Queues);
        IPairPort port0 = software.PortOf(0), port1 = software.PortOf(1);
        port1.SetRxStalled(true); // what pair 1's worker says when its guest has no receive buffers

        SendForPair1(name, config, 800);
        var buffer = new byte[NetQueuePair.RxBufferBytes];
        for (int turn = 0; turn < 40; turn++)
        {
            while (port0.Read(buffer).Status == BackendStatus.Done) { }
            Assert.False(port0.IsTapPaused, "pair 0 waits for a pair that will not drain its ring");
        }

        long dropped = software.DroppedFor(1);
        Assert.True(dropped > 0, $"handed over {software.HandedOverTo(1)}, nothing dropped: the ring did not fill");
        Assert.Equal(dropped, software.DroppedFor(1, HandOverDropReason.NoGuestBuffers));
        Assert.Equal(0, software.DroppedFor(0));
        Assert.False(port0.IsTapPaused);
    }
}
