using MiniVmm.HostNet.Software;

namespace MiniVmm.UnitTests.HostNet;

public sealed class SteeringExchangeTests
{
    [Fact]
    public void Forward_WakesTheTargetOnlyWhenItsRingWasEmpty_AndDrainDeliversInOrder()
    {
        using var exchange = new SteeringExchange(3, ringBytes: 1024);
        Assert.True(exchange.Forward(0, 2, [1]));
        Assert.True(exchange.Forward(0, 2, [2]));
        Assert.True(exchange.Forward(1, 2, [3]));
        Assert.Equal(2UL, exchange.WakeupOf(2).Drain()); // one per ring that went from empty to non-empty
        Assert.Equal(0UL, exchange.WakeupOf(1).Drain());

        var got = new List<byte>();
        Assert.Equal(3, exchange.Drain(2, p => { got.Add(p[0]); return true; }));
        Assert.Equal([1, 2, 3], got);
        Assert.Equal(0, exchange.Drain(2, _ => true));
    }

    [Fact]
    public void Drain_StopsWhenTheSinkIsFull_AndKeepsThePacket()
    {
        using var exchange = new SteeringExchange(2, ringBytes: 1024);
        exchange.Forward(0, 1, [7]);
        exchange.Forward(0, 1, [8]);
        Assert.Equal(0, exchange.Drain(1, _ => false));
        var got = new List<byte>();
        Assert.Equal(2, exchange.Drain(1, p => { got.Add(p[0]); return true; }));
        Assert.Equal([7, 8], got);
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
            received += exchange.Drain(0, p =>
            {
                int source = p[0], id = BitConverter.ToInt32(p[1..]);
                if (id != next[source]) throw new InvalidDataException($"source {source}: got {id}, expected {next[source]}");
                next[source]++;
                return true;
            });
        }
        foreach (Thread t in producers) t.Join();
        Assert.Equal(3 * perProducer, received);
        Assert.Equal([0, perProducer, perProducer, perProducer], next);
    }
}
