using MiniVmm.HostNet.Software;

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
    public void Forward_WakesTheTargetOnlyWhenItsRingWasEmpty_AndEachSourceStaysInOrder()
    {
        using var exchange = new SteeringExchange(3, ringBytes: 1024);
        Assert.True(exchange.Forward(0, 2, [1]));
        Assert.True(exchange.Forward(0, 2, [2]));
        Assert.True(exchange.Forward(1, 2, [3]));
        Assert.Equal(2UL, exchange.WakeupOf(2).Drain()); // one per ring that went from empty to non-empty
        Assert.Equal(0UL, exchange.WakeupOf(1).Drain());

        List<byte> got = ReceiveAll(exchange, 2);
        Assert.Equal([1, 3, 2], got); // round-robin over sources, FIFO within a source
        Assert.Equal(0, exchange.TryReceive(2, new byte[8]));
    }

    [Fact]
    public void A_packet_larger_than_the_destination_is_dropped_and_counted()
    {
        using var exchange = new SteeringExchange(2, ringBytes: 1024);
        exchange.Forward(0, 1, new byte[32]);
        exchange.Forward(0, 1, [8]);
        Assert.Equal(1, exchange.TryReceive(1, new byte[16])); // the 32-byte packet is skipped, the next one fits
        Assert.Equal(1, exchange.OversizedPackets);
    }

    [Fact]
    public void AFullRing_DropsAndCounts()
    {
        using var exchange = new SteeringExchange(2, ringBytes: 64);
        int accepted = 0;
        for (int i = 0; i < 10; i++) if (exchange.Forward(1, 0, new byte[12])) accepted++;
        Assert.Equal(4, accepted);
        Assert.Equal(6, exchange.DroppedPackets);
    }

    [Fact]
    public void ForwardToItself_IsAProgrammingError() =>
        Assert.Throws<ArgumentException>(() => { using var x = new SteeringExchange(2); x.Forward(1, 1, [0]); });

    [Fact]
    public void ThreeProducersAndAConsumerThatSleepsOnTheEventfd_LoseNoWakeup()
    {
        const int perProducer = 10_000;
        using var exchange = new SteeringExchange(4, ringBytes: 8192);
        var producers = Enumerable.Range(1, 3).Select(s => new Thread(() =>
        {
            for (int i = 0; i < perProducer; i++)
            {
                byte[] packet = [(byte)s, .. BitConverter.GetBytes(i)];
                while (!exchange.Forward(s, 0, packet)) Thread.Yield(); // full: retry (each refusal counts as a drop)
            }
        })).ToArray();
        var next = new int[4];
        int received = 0;
        foreach (Thread t in producers) t.Start();
        long deadline = Environment.TickCount64 + 30_000;
        var poll = new Tmds.Linux.pollfd { fd = exchange.WakeupOf(0).Fd, events = (short)Tmds.Linux.LibC.POLLIN };
        while (received < 3 * perProducer && Environment.TickCount64 < deadline)
        {
            // Sleep until woken, as the worker does in epoll; a lost wake-up shows as a 5 s stall and a failure.
            // Safe: poll reads and writes the one local pollfd.
            unsafe { Assert.Equal(1, Tmds.Linux.LibC.poll(&poll, 1, 5000)); }
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
