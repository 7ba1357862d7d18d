using System.Globalization;
using System.Runtime.CompilerServices;
using MiniVmm.HostNet;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Benchmarks.Tap;

/// <summary>
/// One loop of the tap benchmark, alone, for an instruction count (`tap-loop`, run by
/// <see cref="CallgrindBenchmark"/> under valgrind --tool=callgrind): plain-rx, device-rx, plain-tx or
/// device-tx, one frame size, N packets. The loop runs once to warm up (first touch of rings and
/// buffers), then once inside <see cref="Measured"/>, the only function callgrind collects in
/// (--toggle-collect), so set-up, the host's fill and the warm-up are not counted. Prints
/// `packets=N` (what the measured loop moved).
/// Usage: MiniVmm.Benchmarks tap-loop plain-rx|device-rx|plain-tx|device-tx SIZE PACKETS
/// </summary>
public static class TapLoop
{
    public static int Run(string[] args)
    {
        if (args.Length != 3 || args[0] is not ("plain-rx" or "device-rx" or "plain-tx" or "device-tx")
            || !int.TryParse(args[1], CultureInfo.InvariantCulture, out int size) || size is < 60 or > 1514
            || !long.TryParse(args[2], CultureInfo.InvariantCulture, out long packets) || packets is < 1 or > 10_000_000)
        {
            Console.Error.WriteLine("usage: tap-loop plain-rx|device-rx|plain-tx|device-tx SIZE(60..1514) PACKETS");
            return 2;
        }
        using var tap = MiniVmm.HostNet.Tap.Create("mvb-%d", 1);
        using var interruption = new Interruption(tap.Dispose);
        HostInterface.Prepare(tap.Name, packets + 1024);
        TapQueue queue = tap.Queues[0];
        byte[][] frames = Enumerable.Range(0, 64).Select(i => TapBenchmark.Frame(size, (ushort)(10000 + i))).ToArray();
        byte[] txPacket = [.. new byte[VirtioNetHeader.Bytes], .. frames[0]];
        byte[] buffer = new byte[VirtioNetHeader.Bytes + NetQueuePair.MaxFrameBytes];
        using var guest = new FakeGuestNet(queue, frames[0]);
        var sender = new HostFrameSender(tap.Name, 1);
        Func<long> loop = args[0] switch
        {
            "plain-rx" => () => TapBenchmark.DrainPlain(queue, buffer),
            "device-rx" => guest.ReceiveUntilEmpty,
            "plain-tx" => () => TapBenchmark.WritePlain(queue, txPacket, packets),
            _ => () => guest.Transmit(packets),
        };
        bool rx = args[0].EndsWith("-rx", StringComparison.Ordinal);
        TapBenchmark.DrainPlain(queue, buffer); // the host stack's own packets
        if (rx) sender.Send(frames, packets);
        loop(); // warm-up, not collected
        if (rx) sender.Send(frames, packets);
        long moved = Measured(loop);
        Console.WriteLine($"packets={moved}");
        return 0;
    }

    /// <summary>The region callgrind collects (its symbol is matched by name: keep it out of line).</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static long Measured(Func<long> loop) => loop();
}
