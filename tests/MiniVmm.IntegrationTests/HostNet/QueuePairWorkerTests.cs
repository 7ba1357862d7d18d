using System.Collections.Concurrent;
using System.Diagnostics;
using MiniVmm.HostNet;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Native;

namespace MiniVmm.IntegrationTests.HostNet;

/// <summary>The per-pair worker thread against a real TAP queue and real eventfds.</summary>
public sealed class QueuePairWorkerTests
{
    private sealed class RecordingHandler(TapQueue queue) : IQueuePairHandler
    {
        public readonly BlockingCollection<string> Events = new();
        public readonly ConcurrentBag<int> Threads = new();
        public Action? OnTx;
        private readonly byte[] _buffer = new byte[65536];

        public void OnTapReadable()
        {
            Threads.Add(Environment.CurrentManagedThreadId);
            int n;
            while ((n = queue.Read(_buffer)) > 0)
            {
                uint? id = TapTestKit.FrameId(_buffer.AsSpan(Tap.VnetHeaderBytes, n - Tap.VnetHeaderBytes));
                if (id is not null) Events.Add($"rx-frame {id}");
            }
        }

        public void OnTapWritable() => Events.Add("writable");

        public void OnRxKick() { Threads.Add(Environment.CurrentManagedThreadId); Events.Add("rx-kick"); }

        public void OnTxKick() { OnTx?.Invoke(); Events.Add("tx-kick"); } // OnTx first: the test reads what it recorded after seeing the event

        public void OnResteered() => Events.Add("resteer");

        public string Next() => Events.TryTake(out string? e, TapTestKit.Timeout) ? e : "timeout";
    }

    [HostFact(HostNeeds.Tap)]
    public void Worker_WakesOnTapReadabilityAndKicks_OnItsOwnNamedThread_AndStopsPromptly()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 2);
        tap.SetActiveQueues(1); // one attached queue: every injected frame goes to it
        TapTestKit.Drain(tap.Queues);
        using EventFd rx = new(), tx = new(), resteer = new();
        var handler = new RecordingHandler(tap.Queues[0]);
        string? threadName = null;
        handler.OnTx = () => threadName = Thread.CurrentThread.Name;
        using var worker = new QueuePairWorker("net0-qp0", tap.Queues[0].Handle, rx, tx, handler, (_, e) => handler.Events.Add("broken " + e.Message), resteer);
        rx.Signal();
        rx.Signal(); // two kicks before the worker looks: one wake-up, one handler call
        worker.Start();
        Assert.Equal("rx-kick", handler.Next());

        using PacketInjector injector = PacketInjector.Open(tap.Name);
        injector.Send(TapTestKit.UdpFrame(5));
        Assert.Equal("rx-frame 5", handler.Next());
        tx.Signal();
        Assert.Equal("tx-kick", handler.Next());
        Assert.Equal("net0-qp0", threadName);
        resteer.Signal();
        Assert.Equal("resteer", handler.Next());
        Assert.Equal(0UL, rx.Drain()); // the worker drained the kick before calling the handler
        Assert.All(handler.Threads, id => Assert.Equal(worker.ThreadId, id));

        var stopwatch = Stopwatch.StartNew();
        worker.Stop();
        Assert.True(stopwatch.ElapsedMilliseconds < 1000, $"Stop took {stopwatch.ElapsedMilliseconds} ms");
        Assert.False(worker.IsRunning);
        Assert.Null(worker.Fault);
        worker.Stop(); // idempotent
    }

    [HostFact(HostNeeds.Tap)]
    public void HandlerThatThrows_EndsTheWorker_AndIsReported()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 1);
        using EventFd rx = new(), tx = new();
        var handler = new RecordingHandler(tap.Queues[0]) { OnTx = () => throw new InvalidDataException("descriptor loop") };
        var reported = new TaskCompletionSource<(QueuePairWorker, Exception)>();
        using var worker = new QueuePairWorker("net0-qp0", tap.Queues[0].Handle, rx, tx, handler, (w, e) => reported.SetResult((w, e)));
        worker.Start();

        tx.Signal();

        Assert.True(reported.Task.Wait(TapTestKit.Timeout));
        (QueuePairWorker who, Exception what) = reported.Task.Result;
        Assert.Same(worker, who);
        Assert.Equal("descriptor loop", what.Message);
        Assert.True(SpinWait.SpinUntil(() => !worker.IsRunning, TapTestKit.Timeout));
        Assert.Same(what, worker.Fault);
        worker.Stop(); // joining a dead worker returns at once
    }

    [HostFact(HostNeeds.Tap)]
    public void WatchTap_StopsReadWakeups_AndWritableWakesOnceWhenAsked()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 1);
        TapTestKit.Drain(tap.Queues);
        using EventFd rx = new(), tx = new();
        var handler = new RecordingHandler(tap.Queues[0]);
        QueuePairWorker? self = null;
        // A TX kick asks for TAP writability (as after a write that returned EAGAIN) and for no read wake-ups.
        handler.OnTx = () => self!.WatchTap(readable: false, writable: true);
        using var worker = new QueuePairWorker("net0-qp0", tap.Queues[0].Handle, rx, tx, handler, (_, e) => handler.Events.Add("broken " + e.Message));
        self = worker;
        worker.Start();

        tx.Signal();
        Assert.Equal("tx-kick", handler.Next());
        Assert.Equal("writable", handler.Next()); // a TAP queue with room is writable at once; the interest is one-shot
        Assert.True(SpinWait.SpinUntil(() => worker.TapInterest == (false, false), TapTestKit.Timeout));

        using PacketInjector injector = PacketInjector.Open(tap.Name);
        injector.Send(TapTestKit.UdpFrame(11));
        Assert.False(handler.Events.TryTake(out string? unexpected, 300), $"got {unexpected} while reads were off");
        worker.Stop();
    }

    [HostFact(HostNeeds.Tap)]
    public void InterfaceDeletedUnderTheWorker_IsNoticedOnce_WithoutSpinning()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 1);
        using EventFd rx = new(), tx = new();
        int reads = 0;
        var handler = new CountingHandler(() => Interlocked.Increment(ref reads));
        using var worker = new QueuePairWorker("net0-qp0", tap.Queues[0].Handle, rx, tx, handler, (_, _) => { });
        worker.Start();

        using (var ip = Process.Start("ip", $"link del {tap.Name}")) ip.WaitForExit();

        Assert.True(SpinWait.SpinUntil(() => worker.TapGone, TapTestKit.Timeout));
        int afterGone = Volatile.Read(ref reads);
        Thread.Sleep(200);
        Assert.Equal(afterGone, Volatile.Read(ref reads));
        Assert.True(worker.IsRunning); // kicks still work; the device decides what a vanished TAP means
        tx.Signal();
        Assert.True(SpinWait.SpinUntil(() => handler.TxKicks == 1, TapTestKit.Timeout));
        worker.Stop();
        Assert.False(TapTestKit.InterfaceExists(tap.Name));
    }

    private sealed class CountingHandler(Action onRead) : IQueuePairHandler
    {
        public int TxKicks;

        public void OnTapReadable() => onRead();

        public void OnTapWritable() { }

        public void OnRxKick() { }

        public void OnTxKick() => Interlocked.Increment(ref TxKicks);

        public void OnResteered() { }
    }
}
