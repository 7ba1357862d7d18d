using System.Diagnostics;
using MiniVmm.HostNet;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Virtio.Net;

namespace MiniVmm.IntegrationTests.HostNet;

/// <summary>
/// A queue pair's worker between a real TAP queue and a device over fake guest memory: it wakes on
/// TAP readability and on kicks, on its own named thread, and stops promptly; an interface deleted
/// under it is noticed once, without spinning.
/// </summary>
public sealed class QueuePairWorkerTests
{
    private static (NetTestRig Rig, DeviceWorkerContext Context) StartedDevice()
    {
        var rig = new NetTestRig(new VirtioNetOptions { QueuePairs = 1 });
        rig.Start(NetTestRig.BaseFeatures());
        return (rig, new DeviceWorkerContext(rig.Memory, rig.Transport, rig.Device));
    }

    [HostFact(HostNeeds.Tap)]
    public void The_worker_moves_packets_both_ways_on_its_own_named_thread_and_stops_promptly()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 1);
        TapTestKit.Drain(tap.Queues);
        (NetTestRig rig, DeviceWorkerContext context) = StartedDevice();
        using EventFd rxKick = new(), txKick = new();
        var port = new CountingPort(new TapPort(tap.Queues[0]));
        using var worker = new QueuePairWorker("net0-qp0", rig.Device.Pairs[0], port, context, rxKick.Handle, txKick.Handle);
        var buffer = new GuestAddress(0x200000);
        for (int i = 0; i < 8; i++) rig.Rx(0).AddChain((buffer + 0x1000UL * (ulong)i, 2048, true));
        worker.Start();

        using PacketInjector injector = PacketInjector.Open(tap.Name);
        byte[] frame = TapTestKit.UdpFrame(5);
        injector.Send(frame);
        Assert.True(RuntimeTestRig.WaitFor(() => Received(rig).Any(f => TapTestKit.FrameId(f) == 5)), "the frame did not reach the guest");

        byte[] outgoing = TapTestKit.UdpFrame(6);
        GuestAddress tx = rig.Driver.Allocate((ulong)(12 + outgoing.Length));
        rig.Memory.Write(tx + 12, outgoing);
        rig.Tx(0).AddChain((tx, (uint)(12 + outgoing.Length), false));
        txKick.Signal();
        var captured = new byte[2048];
        bool seen = false;
        for (long deadline = Environment.TickCount64 + 3000; !seen && Environment.TickCount64 < deadline;)
        {
            int n = injector.Capture(captured, TimeSpan.FromMilliseconds(200));
            seen = n > 0 && TapTestKit.FrameId(captured.AsSpan(0, n)) == 6;
        }
        Assert.True(seen, "the guest's frame did not leave through the TAP");
        Assert.True(RuntimeTestRig.WaitFor(() => rig.Tx(0).UsedIdx == 1));
        Assert.Equal(["net0-qp0"], port.Threads.Distinct());

        var stopwatch = Stopwatch.StartNew();
        worker.Stop();
        Assert.True(stopwatch.ElapsedMilliseconds < 1000, $"Stop took {stopwatch.ElapsedMilliseconds} ms");
        Assert.False(worker.IsRunning);
        Assert.Null(worker.Failure);
        worker.Stop(); // idempotent
    }

    [HostFact(HostNeeds.Tap)]
    public void An_interface_deleted_under_the_worker_is_noticed_once_without_spinning()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 1);
        (NetTestRig rig, DeviceWorkerContext context) = StartedDevice();
        using EventFd rxKick = new(), txKick = new();
        var port = new CountingPort(new TapPort(tap.Queues[0]));
        using var worker = new QueuePairWorker("net0-qp0", rig.Device.Pairs[0], port, context, rxKick.Handle, txKick.Handle);
        rig.Rx(0).AddChain((new GuestAddress(0x200000), 2048, true));
        worker.Start();

        using (var ip = Process.Start("ip", $"link del {tap.Name}")) ip.WaitForExit();
        Assert.False(TapTestKit.InterfaceExists(tap.Name));

        // A read after the hang-up, then none: the worker stopped watching the fd instead of spinning on it.
        Assert.True(RuntimeTestRig.WaitFor(() => port.Reads > 0));
        int reads = port.Reads;
        rxKick.Signal(); // one more pass over the receive side: one more read, answered "nothing"
        Assert.True(RuntimeTestRig.WaitFor(() => port.Reads > reads));
        int afterKick = port.Reads;
        // The transmit side still works: a kick is served, and no read happens while it is.
        GuestAddress tx = rig.Driver.Allocate(72);
        rig.Tx(0).AddChain((tx, 72, false));
        txKick.Signal();
        Assert.True(RuntimeTestRig.WaitFor(() => rig.Tx(0).UsedIdx == 1));
        Assert.Equal(afterKick, port.Reads);
        Assert.True(worker.IsRunning);
        Assert.False(rig.NeedsReset);
    }

    private static IEnumerable<byte[]> Received(NetTestRig rig)
    {
        var frames = new List<byte[]>();
        while (rig.Rx(0).TryTakeUsed(out uint id, out uint length))
        {
            GuestAddress buffer = new(0x200000 + 0x1000UL * id);
            frames.Add(rig.Memory.GetSpan(buffer + 12, length - 12).ToArray());
        }
        return frames;
    }

    /// <summary>Counts reads of the real port it wraps.</summary>
    private sealed class CountingPort(TapPort inner) : IPairPort
    {
        private int _reads;
        public int Reads => Volatile.Read(ref _reads);
        public System.Collections.Concurrent.ConcurrentBag<string?> Threads { get; } = [];
        public FileDescriptor Handle => inner.Handle;
        public EventFd? Wakeup => null;
        public bool ServesWhileStalled => false;
        public int HeaderBytes => inner.HeaderBytes;
        public BackendResult Read(Span<byte> packet)
        {
            Threads.Add(Thread.CurrentThread.Name);
            Interlocked.Increment(ref _reads);
            return inner.Read(packet);
        }

        public BackendResult Write(ReadOnlySpan<byte> packet)
        {
            Threads.Add(Thread.CurrentThread.Name);
            return inner.Write(packet);
        }
        public RxHash HashOf(ReadOnlySpan<byte> packet, MiniVmm.Rss.RssConfiguration configuration) => inner.HashOf(packet, configuration);
        public void ServeWhileStalled(int budget) { }
    }
}
