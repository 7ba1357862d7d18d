using System.Diagnostics;
using System.Text.Json;
using MiniVmm.HostNet;
using MiniVmm.Virtio.Net;
using MiniVmm.Rss.Packets;

namespace MiniVmm.Benchmarks.Tap;

/// <summary>
/// Packets per second and CPU time per packet through one queue pair, next to a plain read()/write()
/// loop on the same TAP queue in the same run (issue 11 goal: the device path at 100% of the plain loop):
/// RX = TAP queue -> VirtioNetDevice/NetQueuePair.ProcessRx -> fake guest RX ring, against read()
/// into a buffer; TX = fake guest TX ring -> ProcessTx -> TAP queue, against write() of a
/// prebuilt packet. For RX the TAP queue is first filled by the host (AF_PACKET) with the consumer
/// idle (txqueuelen raised to hold them all), then the consumer drains it against the clock: the
/// sender's speed cannot limit the result and the two never fight for the 2 CPUs.
/// Usage: MiniVmm.Benchmarks tap [--packets N] [--rounds R] [--sizes 64,1514] [--senders T] [--json].
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
        TextWriter stdout = Console.Out;
        if (options.Json) Console.SetOut(Console.Error); // the human lines to stderr, the JSON alone on stdout
        try
        {
            HostInterface.Prepare(tap.Name, options.Packets + 1024);
            Console.WriteLine($"tap benchmark: {tap.Name}, 1 queue pair, {options.Packets} packets per measurement, median of {options.Rounds} rounds after 1 warm-up round, {options.Senders} sender thread(s)");
            string load = HostInterface.LoadAverage();
            Console.WriteLine($"load: {load}");
            Console.WriteLine($"{"direction",-4} {"frame",6} {"plain Mpps",11} {"device Mpps",12} {"ratio",6} {"plain ns",9} {"device ns",9} {"cpu",6}  notes");
            Console.WriteLine($"{"",-11} {"",11} {"",12} {"",6} {"(CPU per packet)",19} {"plain/device",12}");
            var results = new List<TapResult>();
            foreach (int size in options.Sizes)
            {
                if (interruption.Requested) return interruption.ExitCode;
                results.AddRange(MeasureSize(tap, size, options));
            }
            Console.WriteLine($"worst rate ratio {results.Min(r => r.RateRatio):P0}, worst CPU ratio (plain ns / device ns) {results.Min(r => r.CpuRatio):P0} (goal, issue 11: >= 100%)");
            if (options.Json) stdout.WriteLine(JsonSerializer.Serialize(new { benchmark = "tap", options.Packets, options.Rounds, load, results },
                new JsonSerializerOptions { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.CamelCase }));
            return 0;
        }
        catch (Exception) when (interruption.Requested)
        {
            return interruption.ExitCode; // the TAP went away under a measurement
        }
        finally
        {
            Console.SetOut(stdout);
        }
    }

    private static TapResult[] MeasureSize(MiniVmm.HostNet.Tap tap, int size, TapBenchmarkOptions options)
    {
        TapQueue queue = tap.Queues[0];
        byte[][] frames = Enumerable.Range(0, 64).Select(i => Frame(size, (ushort)(10000 + i))).ToArray();
        byte[] txPacket = [.. new byte[VirtioNetHeader.Bytes], .. frames[0]];
        using var guest = new FakeGuestNet(queue, frames[0]);
        var sender = new HostFrameSender(tap.Name, options.Senders);
        byte[] buffer = new byte[VirtioNetHeader.Bytes + NetQueuePair.MaxFrameBytes];

        var rxPlain = new List<Measurement>(); var rxDevice = new List<Measurement>(); var senderRates = new List<double>();
        var txPlain = new List<Measurement>(); var txDevice = new List<Measurement>();
        long lost = 0;
        // Round -1 warms up (tiered JIT, first-touch of guest memory and rings) and is not recorded.
        for (int round = -1; round < options.Rounds && !tap.IsDisposed; round++)
        {
            bool record = round >= 0;
            long ignored = 0;
            ref long lostCount = ref record ? ref lost : ref ignored;
            DrainPlain(queue, buffer); // whatever the host stack sent on its own
            double fill1 = sender.Send(frames, options.Packets);
            Measurement plainRx = Timed(() => DrainPlain(queue, buffer), options.Packets, ref lostCount);
            double fill2 = sender.Send(frames, options.Packets);
            Measurement deviceRx = Timed(guest.ReceiveUntilEmpty, options.Packets, ref lostCount);
            Measurement plainTx = Timed(() => WritePlain(queue, txPacket, options.Packets), options.Packets, ref lostCount);
            Measurement deviceTx = Timed(() => guest.Transmit(options.Packets), options.Packets, ref lostCount);
            if (!record) continue;
            senderRates.Add(fill1); senderRates.Add(fill2);
            rxPlain.Add(plainRx); rxDevice.Add(deviceRx); txPlain.Add(plainTx); txDevice.Add(deviceTx);
        }
        if (tap.IsDisposed) throw new OperationCanceledException("the TAP was closed (interrupted)");
        if (guest.BadRxLengths != 0) throw new InvalidOperationException($"{guest.BadRxLengths} RX buffers came back with the wrong length");
        string rxNote = $"sender {Median(senderRates) / 1e6:F2} Mpps (fills the queue first, not on the clock)";
        if (lost != 0) rxNote += $"; {lost} packets fewer than sent (queue overflow or drops)";
        TapResult rx = Print("RX", size, rxPlain, rxDevice, rxNote);
        TapResult tx = Print("TX", size, txPlain, txDevice,
            $"tap drops {plainDrops}, device tx drops {guest.Pair.Counters.TxDropped}, irqs {guest.InterruptsSignalled}");
        return [rx, tx];
    }

    private static TapResult Print(string direction, int size, List<Measurement> plain, List<Measurement> device, string note)
    {
        var plainPps = plain.Select(m => m.PacketsPerSecond).ToList();
        var devicePps = device.Select(m => m.PacketsPerSecond).ToList();
        double plainNs = Median(plain.Select(m => m.CpuNsPerPacket).ToList()), deviceNs = Median(device.Select(m => m.CpuNsPerPacket).ToList());
        var result = new TapResult(direction, size, Median(plainPps), Median(devicePps), plainNs, deviceNs,
            plainPps.Min(), plainPps.Max(), devicePps.Min(), devicePps.Max());
        string range(List<double> v) => $"{v.Min() / 1e6:F2}-{v.Max() / 1e6:F2}";
        Console.WriteLine($"{direction,-4} {size,5}B {result.PlainPps / 1e6,11:F3} {result.DevicePps / 1e6,12:F3} {result.RateRatio,6:P0} " +
            $"{plainNs,9:F0} {deviceNs,9:F0} {result.CpuRatio,6:P0}  plain {range(plainPps)}, device {range(devicePps)}; {note}");
        return result;
    }

    /// <summary>
    /// Runs <paramref name="work"/> (which returns packets moved) against the clock and the process's
    /// CPU time (getrusage through Environment.CpuUsage: user + system, every thread; the loop is the
    /// only busy one): packets per second and CPU nanoseconds per packet.
    /// </summary>
    private static Measurement Timed(Func<long> work, long expected, ref long lost)
    {
        TimeSpan cpu0 = Environment.CpuUsage.TotalTime;
        var clock = Stopwatch.StartNew();
        long moved = work();
        double seconds = clock.Elapsed.TotalSeconds;
        TimeSpan cpu = Environment.CpuUsage.TotalTime - cpu0;
        if (moved < expected) lost += expected - moved;
        return new Measurement(moved / seconds, cpu.TotalNanoseconds / moved);
    }

    internal static long DrainPlain(TapQueue queue, byte[] buffer)
    {
        long count = 0;
        while (queue.Read(buffer).Status == BackendStatus.Done) count++;
        return count;
    }

    private static long plainDrops;

    internal static long WritePlain(TapQueue queue, byte[] packet, long count)
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
    internal static byte[] Frame(int size, ushort sourcePort) => new FrameBuilder()
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
