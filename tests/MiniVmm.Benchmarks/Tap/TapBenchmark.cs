using System.Diagnostics;
using MiniVmm.HostNet;
using MiniVmm.Virtio.Net;
using MiniVmm.Rss.Packets;

namespace MiniVmm.Benchmarks.Tap;

/// <summary>
/// Packets per second through one queue pair, next to a plain read()/write() loop on the same
/// TAP queue in the same run (issue 3 target: the device path at least 70% of the plain loop):
/// RX = TAP queue -> VirtioNetDevice/NetQueuePair.ProcessRx -> fake guest RX ring, against read()
/// into a buffer; TX = fake guest TX ring -> ProcessTx -> TAP queue, against write() of a
/// prebuilt packet. For RX the TAP queue is first filled by the host (AF_PACKET) with the consumer
/// idle (txqueuelen raised to hold them all), then the consumer drains it against the clock: the
/// sender's speed cannot limit the result and the two never fight for the 2 CPUs.
/// Usage: MiniVmm.Benchmarks tap [--packets N] [--rounds R] [--sizes 64,1514] [--senders T].
/// </summary>
public static class TapBenchmark
{
    private static readonly byte[] GuestMac = [0x52, 0x54, 0x00, 0x12, 0x34, 0x56];
    private static readonly byte[] HostMac = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];

    public static int Run(string[] args)
    {
        var options = TapBenchmarkOptions.Parse(args);
        if (options is null) return 2;

        using var tap = MiniVmm.HostNet.Tap.Create("mvb-%d", 1);
        using var interruption = new Interruption(tap.Dispose); // closing the fds removes the interface
        try
        {
            HostInterface.Prepare(tap.Name, options.Packets + 1024);
            Console.WriteLine($"tap benchmark: {tap.Name}, 1 queue pair, {options.Packets} packets per measurement, median of {options.Rounds} rounds after 1 warm-up round, {options.Senders} sender thread(s)");
            Console.WriteLine($"load: {HostInterface.LoadAverage()}");
            Console.WriteLine($"{"direction",-4} {"frame",6} {"plain Mpps",11} {"device Mpps",12} {"ratio",6}  notes");
            double worst = double.MaxValue;
            foreach (int size in options.Sizes)
            {
                if (interruption.Requested) return interruption.ExitCode;
                worst = Math.Min(worst, MeasureSize(tap, size, options));
            }
            Console.WriteLine($"worst ratio {worst:P0} (goal >= 70%)");
            return 0;
        }
        catch (Exception) when (interruption.Requested)
        {
            return interruption.ExitCode; // the TAP went away under a measurement
        }
    }

    private static double MeasureSize(MiniVmm.HostNet.Tap tap, int size, TapBenchmarkOptions options)
    {
        TapQueue queue = tap.Queues[0];
        byte[][] frames = Enumerable.Range(0, 64).Select(i => Frame(size, (ushort)(10000 + i))).ToArray();
        byte[] txPacket = [.. new byte[VirtioNetHeader.Bytes], .. frames[0]];
        using var guest = new FakeGuestNet(queue, frames[0]);
        var sender = new HostFrameSender(tap.Name, options.Senders);
        byte[] buffer = new byte[VirtioNetHeader.Bytes + NetQueuePair.MaxFrameBytes];

        var rxPlain = new List<double>(); var rxDevice = new List<double>(); var senderRates = new List<double>();
        var txPlain = new List<double>(); var txDevice = new List<double>();
        long lost = 0;
        // Round -1 warms up (tiered JIT, first-touch of guest memory and rings) and is not recorded.
        for (int round = -1; round < options.Rounds && !tap.IsDisposed; round++)
        {
            bool record = round >= 0;
            long ignored = 0;
            ref long lostCount = ref record ? ref lost : ref ignored;
            DrainPlain(queue, buffer); // whatever the host stack sent on its own
            double fill1 = sender.Send(frames, options.Packets);
            double plainRx = Timed(() => DrainPlain(queue, buffer), options.Packets, ref lostCount);
            double fill2 = sender.Send(frames, options.Packets);
            double deviceRx = Timed(guest.ReceiveUntilEmpty, options.Packets, ref lostCount);
            double plainTx = Timed(() => WritePlain(queue, txPacket, options.Packets), options.Packets, ref lostCount);
            double deviceTx = Timed(() => guest.Transmit(options.Packets), options.Packets, ref lostCount);
            if (!record) continue;
            senderRates.Add(fill1); senderRates.Add(fill2);
            rxPlain.Add(plainRx); rxDevice.Add(deviceRx); txPlain.Add(plainTx); txDevice.Add(deviceTx);
        }
        if (tap.IsDisposed) throw new OperationCanceledException("the TAP was closed (interrupted)");
        if (guest.BadRxLengths != 0) throw new InvalidOperationException($"{guest.BadRxLengths} RX buffers came back with the wrong length");
        string rxNote = $"sender {Median(senderRates) / 1e6:F2} Mpps (fills the queue first, not on the clock)";
        if (lost != 0) rxNote += $"; {lost} packets fewer than sent (queue overflow or drops)";
        double rxRatio = Print("RX", size, rxPlain, rxDevice, rxNote);
        double txRatio = Print("TX", size, txPlain, txDevice,
            $"tap drops {plainDrops}, device tx drops {guest.Pair.Counters.TxDropped}, irqs {guest.InterruptsSignalled}");
        return Math.Min(rxRatio, txRatio);
    }

    private static double Print(string direction, int size, List<double> plain, List<double> device, string note)
    {
        double ratio = Median(device) / Median(plain);
        string range(List<double> v) => $"{v.Min() / 1e6:F2}-{v.Max() / 1e6:F2}";
        Console.WriteLine($"{direction,-4} {size,5}B {Median(plain) / 1e6,11:F3} {Median(device) / 1e6,12:F3} {ratio,6:P0}  plain {range(plain)}, device {range(device)}; {note}");
        return ratio;
    }

    /// <summary>Runs <paramref name="work"/> (which returns packets moved) against the clock; packets per second.</summary>
    private static double Timed(Func<long> work, long expected, ref long lost)
    {
        var clock = Stopwatch.StartNew();
        long moved = work();
        double seconds = clock.Elapsed.TotalSeconds;
        if (moved < expected) lost += expected - moved;
        return moved / seconds;
    }

    private static long DrainPlain(TapQueue queue, byte[] buffer)
    {
        long count = 0;
        while (queue.Read(buffer).Status == BackendStatus.Done) count++;
        return count;
    }

    private static long plainDrops;

    private static long WritePlain(TapQueue queue, byte[] packet, long count)
    {
        for (long i = 0; i < count; i++)
        {
            if (queue.Write(packet).Status != BackendStatus.Done) plainDrops++;
        }
        return count;
    }

    /// <summary>
    /// An IPv4/UDP frame of <paramref name="size"/> bytes to the guest's MAC: the host stack drops
    /// what the guest sends (not its MAC) early, so TX measures the TAP, not the IP stack.
    /// </summary>
    private static byte[] Frame(int size, ushort sourcePort) => new FrameBuilder()
        .WithMacs(GuestMac, HostMac)
        .IPv4("10.11.0.1", "10.11.0.2")
        .Udp(sourcePort, 9)
        .WithPayloadLength(size - 42)
        .Build();

    internal static double Median(List<double> values)
    {
        var sorted = values.Order().ToArray();
        return sorted.Length % 2 == 1 ? sorted[sorted.Length / 2] : (sorted[sorted.Length / 2 - 1] + sorted[sorted.Length / 2]) / 2;
    }
}
