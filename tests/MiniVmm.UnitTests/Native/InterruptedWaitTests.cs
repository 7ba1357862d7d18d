using System.Runtime.InteropServices;
using MiniVmm.Machine.Runtime;
using MiniVmm.Native.Signals;
using MiniVmm.Native.Unix;
using MiniVmm.UnitTests.VhostUser;

namespace MiniVmm.UnitTests.Native;

/// <summary>
/// Waits that a signal interrupts (EINTR) carry on waiting. The vCPU threads get the kick signal
/// (SIGUSR2) while they talk vhost-user to a back end during the guest's DRIVER_OK; a slow back end
/// (DPDK populating guest RAM) made the front end's reply wait fail with "poll: errno 0" and the
/// device set-up was abandoned.
/// </summary>
[Collection(LeakCheckCollection.Name)]
public sealed class InterruptedWaitTests
{
    [Fact]
    public void A_reply_wait_interrupted_by_the_kick_signal_keeps_waiting_until_its_timeout()
    {
        (UnixStreamSocket a, UnixStreamSocket b) = UnixStreamSocket.Pair();
        using (a)
        using (b)
        {
            Exception? failure = null;
            bool? readable = null;
            Assert.Equal(0, RunWhileKicked(() =>
            {
                // What another call on this thread may have left behind: no EINTR in it.
                Marshal.SetLastPInvokeError(0);
                try { readable = b.WaitReadable(TimeSpan.FromMilliseconds(600)); }
                catch (Exception e) { failure = e; }
            }));
            Assert.Null(failure);
            Assert.False(readable);
        }
    }

    [Fact]
    public void An_accept_interrupted_by_the_kick_signal_keeps_waiting_for_its_cancel()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mvu-{Guid.NewGuid():N}.sock");
        using UnixListeningSocket listener = UnixListeningSocket.Listen(path);
        try
        {
            Exception? failure = null;
            UnixStreamSocket? accepted = null;
            int kicks = RunWhileKicked(() =>
            {
                Marshal.SetLastPInvokeError(0);
                try { accepted = listener.Accept(); }
                catch (Exception e) { failure = e; }
            }, cancelAfterKicks: () => listener.CancelAccept());
            Assert.Equal(0, kicks);
            Assert.Null(failure);
            Assert.Null(accepted);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// Runs <paramref name="wait"/> on a thread of its own and sends it the vCPU kick signal every
    /// 20 ms until it returns (after 10 kicks, <paramref name="cancelAfterKicks"/> ends the wait);
    /// returns how many kicks failed to reach the thread while it was alive.
    /// </summary>
    private static int RunWhileKicked(Action wait, Action? cancelAfterKicks = null)
    {
        int signal = VcpuKickSignal.Number; // installs the handler, as the machine does
        int tid = 0;
        using var started = new ManualResetEventSlim();
        var thread = new Thread(() => { tid = ThreadSignals.CurrentThreadId(); started.Set(); wait(); });
        thread.Start();
        started.Wait();
        int lost = 0, sent = 0;
        while (!thread.Join(20))
        {
            if (!ThreadSignals.Send(tid, signal) && thread.IsAlive) lost++;
            if (++sent == 10) cancelAfterKicks?.Invoke();
        }
        return lost;
    }
}
