using MiniVmm.HostNet.Software;
using MiniVmm.Native.Net;

namespace MiniVmm.UnitTests.HostNet;

public sealed class SteeringExchangeTests
{
    private static List<byte> ReceiveAll(SteeringExchange exchange, int target)
    {
        var got = new List<byte>();
        Span<byte> buffer = stackalloc byte[64];
        int n;
        while ((n = exchange.TryReceive(target, buffer)) > 0) got.AddRange(buffer[..n].ToArray());
        return got;
    }

    [Fact]
    public void Forward_wakes_the_target_only_when_its_ring_was_empty_and_keeps_arrival_order()
    {
        using var exchange = new SteeringExchange(3, ringBytes: 1024);
        Assert.Equal(HandOver.Queued, exchange.Forward(0, 2, [1]));
        Assert.Equal(HandOver.Queued, exchange.Forward(0, 2, [2]));
        Assert.Equal(HandOver.Queued, exchange.Forward(1, 2, [3]));
        Assert.Equal(1UL, exchange.WakeupOf(2).Drain()); // the ring went from empty to non-empty once
        Assert.Equal(0UL, exchange.WakeupOf(1).Drain());

        Assert.Equal([1, 2, 3], ReceiveAll(exchange, 2));
        Assert.Equal(0, exchange.TryReceive(2, new byte[8]));
        Assert.True(exchange.IsEmpty(2));
    }

    [Fact]
    public void A_pair_can_keep_its_own_packets_for_later()
    {
        using var exchange = new SteeringExchange(2, ringBytes: 1024);
        Assert.True(exchange.IsEmpty(1));
        Assert.Equal(HandOver.Queued, exchange.Forward(1, 1, [7]));
        Assert.False(exchange.IsEmpty(1));
        Assert.Equal([7], ReceiveAll(exchange, 1));
    }

    [Fact]
    public void A_packet_larger_than_the_destination_is_dropped_and_counted_against_it()
    {
        using var exchange = new SteeringExchange(2, ringBytes: 1024);
        exchange.Forward(0, 1, new byte[32]);
        exchange.Forward(0, 1, [8]);
        Assert.Equal(1, exchange.TryReceive(1, new byte[16])); // the 32-byte packet is skipped, the next one fits
        Assert.Equal(1, exchange.DroppedFor(1, HandOverDropReason.TooLarge));
        Assert.Equal(0, exchange.DroppedFor(1, HandOverDropReason.NoGuestBuffers));
        Assert.Equal(0, exchange.DroppedFor(0));
    }

    [Fact]
    public void A_full_ring_drops_only_while_its_destination_has_no_guest_buffers_and_counts_for_it_only()
    {
        using var exchange = new SteeringExchange(2, ringBytes: 64);
        int accepted = 0;
        for (int i = 0; i < 10; i++) if (exchange.Forward(1, 0, new byte[12]) == HandOver.Queued) accepted++;
        Assert.Equal(4, accepted);
        Assert.Equal(0, exchange.DroppedPackets); // pair 0's guest has buffers: the sender was told to wait, nothing dropped

        exchange.SetStalled(0, true);
        Assert.Equal(HandOver.Dropped, exchange.Forward(1, 0, new byte[12]));
        Assert.Equal(1, exchange.DroppedFor(0, HandOverDropReason.NoGuestBuffers));
        Assert.Equal(1, exchange.DroppedPackets);
        Assert.Equal(HandOver.Queued, exchange.Forward(0, 1, new byte[12])); // another destination still takes packets
    }

    [Fact]
    public void A_sender_told_full_is_woken_when_the_destination_frees_room_or_runs_out_of_buffers()
    {
        using var exchange = new SteeringExchange(3, ringBytes: 64);
        while (exchange.Forward(1, 0, new byte[12]) == HandOver.Queued) { }
        Assert.Equal(HandOver.Full, exchange.Forward(2, 0, new byte[12]));
        exchange.WakeupOf(1).Drain();
        exchange.WakeupOf(2).Drain();

        Assert.True(exchange.TryReceive(0, new byte[16]) > 0);
        Assert.Equal(1UL, exchange.WakeupOf(1).Drain()); // both senders were told Full and wait for room
        Assert.Equal(1UL, exchange.WakeupOf(2).Drain());
        Assert.Equal(HandOver.Queued, exchange.Forward(2, 0, new byte[12]));

        Assert.Equal(HandOver.Full, exchange.Forward(1, 0, new byte[12]));
        exchange.SetStalled(0, true); // pair 0 will not drain its ring: the waiting sender is woken to drop instead
        Assert.Equal(1UL, exchange.WakeupOf(1).Drain());
        Assert.Equal(HandOver.Dropped, exchange.Forward(1, 0, new byte[12]));
    }

    [Fact]
    public void A_packet_that_cannot_fit_even_the_empty_ring_is_dropped_as_too_large_not_held()
    {
        using var exchange = new SteeringExchange(2, ringBytes: 64);
        Assert.Equal(HandOver.Dropped, exchange.Forward(1, 0, new byte[61]));
        // 28 + 4 bytes used, then freed: the ring is empty at offset 32, and a 36-byte record would have to wrap.
        Assert.Equal(HandOver.Queued, exchange.Forward(1, 0, new byte[28]));
        Assert.True(exchange.TryReceive(0, new byte[64]) > 0);
        Assert.Equal(HandOver.Dropped, exchange.Forward(1, 0, new byte[36]));
        Assert.Equal(2, exchange.DroppedFor(0, HandOverDropReason.TooLarge));
    }

    [Fact]
    public void Rings_are_allocated_when_a_destination_first_gets_a_packet()
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        using var exchange = new SteeringExchange(16);
        long idle = GC.GetAllocatedBytesForCurrentThread() - before;
        exchange.Forward(0, 3, [1]);
        long oneRing = GC.GetAllocatedBytesForCurrentThread() - before - idle;
        Assert.True(idle < 64 * 1024, $"{idle} bytes before any packet");
        Assert.InRange(oneRing, SteeringExchange.DefaultRingBytes, SteeringExchange.DefaultRingBytes + 4096);
    }

    [Fact]
    public void Three_producers_and_a_consumer_that_sleeps_on_the_eventfd_lose_no_wakeup()
    {
        const int perProducer = 10_000;
        using var exchange = new SteeringExchange(4, ringBytes: 8192);
        var producers = Enumerable.Range(1, 3).Select(s => new Thread(() =>
        {
            for (int i = 0; i < perProducer; i++)
            {
                byte[] packet = [(byte)s, .. BitConverter.GetBytes(i)];
                while (exchange.Forward(s, 0, packet) != HandOver.Queued) Thread.Yield(); // full: retry
            }
        })).ToArray();
        var next = new int[4];
        int received = 0;
        foreach (Thread t in producers) t.Start();
        long deadline = Environment.TickCount64 + 30_000;
        using var epoll = new Epoll();
        epoll.Add(exchange.WakeupOf(0).Handle, EpollEvents.In, 1);
        Span<EpollEvent> events = stackalloc EpollEvent[1];
        while (received < 3 * perProducer && Environment.TickCount64 < deadline)
        {
            // Sleep until woken, as the worker does in epoll; a lost wake-up shows as a 5 s stall and a failure.
            Assert.Equal(1, epoll.Wait(events, 5000));
            exchange.WakeupOf(0).Drain();
            var p = new byte[16];
            while (exchange.TryReceive(0, p) > 0)
            {
                int source = p[0], id = BitConverter.ToInt32(p, 1);
                if (id != next[source]) throw new InvalidDataException($"source {source}: got {id}, expected {next[source]}");
                next[source]++;
                received++;
            }
        }
        foreach (Thread t in producers) t.Join();
        Assert.Equal(3 * perProducer, received);
        Assert.Equal([0, perProducer, perProducer, perProducer], next);
    }
}
