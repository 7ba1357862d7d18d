using System.Collections.Concurrent;
using MiniVmm.HostNet;
using MiniVmm.HostNet.Software;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Native;
using MiniVmm.Virtio.Net.Rss;

namespace MiniVmm.IntegrationTests.HostNet;

/// <summary>
/// The software back end end to end on the host: frames injected on a 4-queue TAP are read by
/// whichever worker the kernel picked, classified, and delivered by the worker of the queue the
/// classifier named (here: the frame id modulo 4, standing in for table[hash &amp; mask]).
/// </summary>
public sealed class SoftwareSteeringHostTests
{
    private sealed class Pair(int index, TapQueue queue, SoftwareSteerer steerer, SteeringExchange exchange,
        ConcurrentDictionary<uint, int> delivered) : IQueuePairHandler
    {
        public static int Forwarded;

        private readonly byte[] _buffer = new byte[65536];
        private readonly RssConfiguration _config = RssConfiguration.Spread(4);
        private PacketSink? _sink;

        public void OnTapReadable()
        {
            int n;
            while ((n = queue.Read(_buffer)) > 0)
            {
                Span<byte> packet = _buffer.AsSpan(0, n);
                if (steerer.Steer(index, packet, _config, activePairs: 4, reportHash: true) == index) Deliver(packet);
                else Interlocked.Increment(ref Forwarded);
            }
        }

        public void OnResteered() => exchange.Drain(index, _sink ??= p => Deliver(p));

        public void OnTapWritable() { }

        public void OnRxKick() { }

        public void OnTxKick() { }

        private bool Deliver(ReadOnlySpan<byte> packet)
        {
            uint? id = TapTestKit.FrameId(packet[Tap.VnetHashHeaderBytes..]);
            if (id is not null) delivered[id.Value] = index;
            return true;
        }
    }

    private static SteeringDecision ById(ReadOnlySpan<byte> frame, RssConfiguration config)
    {
        uint? id = TapTestKit.FrameId(frame);
        return id is null ? new(0, VirtioNetHashReport.None, config.UnclassifiedQueue) : new(id.Value, VirtioNetHashReport.UdpV4, (ushort)(id.Value % 4));
    }

    [HostFact(HostNeeds.Tap)]
    public void EveryFrame_IsDeliveredByTheWorkerOfItsTargetQueue()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 4);
        tap.SetVnetHeaderSize(Tap.VnetHashHeaderBytes);
        using var exchange = new SteeringExchange(4, 64 * 1024);
        var steerer = new SoftwareSteerer(exchange, ById, Tap.VnetHashHeaderBytes);
        var delivered = new ConcurrentDictionary<uint, int>();
        var kicks = Enumerable.Range(0, 8).Select(_ => new EventFd()).ToArray();
        var broken = new ConcurrentBag<Exception>();
        var workers = Enumerable.Range(0, 4).Select(i => new QueuePairWorker($"net0-qp{i}", tap.Queues[i].Handle, kicks[2 * i], kicks[2 * i + 1],
            new Pair(i, tap.Queues[i], steerer, exchange, delivered), (_, e) => broken.Add(e), exchange.WakeupOf(i))).ToArray();
        try
        {
            foreach (QueuePairWorker w in workers) w.Start();
            using PacketInjector injector = PacketInjector.Open(tap.Name);
            const uint frames = 200;
            for (uint id = 1; id <= frames; id++) injector.Send(TapTestKit.UdpFrame(id, sourcePort: (ushort)(3000 + id)));

            Assert.True(SpinWait.SpinUntil(() => delivered.Count == frames, TimeSpan.FromSeconds(10)), $"delivered {delivered.Count} of {frames}");
            Assert.All(delivered, kv => Assert.Equal((int)(kv.Key % 4), kv.Value));
            Assert.Empty(broken);
            Assert.Equal(0, exchange.DroppedPackets);
            Assert.True(Volatile.Read(ref Pair.Forwarded) > 0, "the kernel put every frame on its target queue: nothing was re-steered");
        }
        finally
        {
            foreach (QueuePairWorker w in workers) w.Dispose();
            foreach (EventFd k in kicks) k.Dispose();
        }
    }
}
