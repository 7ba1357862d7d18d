using System.Diagnostics;
using MiniVmm.HostNet;
using MiniVmm.Native;

namespace MiniVmm.Benchmarks.Tap;

/// <summary>
/// "The host" sending frames into a TAP through AF_PACKET (PacketInjector), from one or more
/// threads, each with its own socket; measures its own rate so that a slow sender is visible.
/// </summary>
public sealed class HostFrameSender(string interfaceName, int threads)
{
    /// <summary>
    /// Sends <paramref name="count"/> frames, taking them round-robin from <paramref name="frames"/>,
    /// spread over the threads; returns the frames sent per second (all threads together).
    /// </summary>
    public double Send(IReadOnlyList<byte[]> frames, long count, CancellationToken cancel = default)
    {
        var injectors = Enumerable.Range(0, threads).Select(_ => PacketInjector.Open(interfaceName)).ToArray();
        try
        {
            var clock = Stopwatch.StartNew();
            Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
            {
                long share = count / threads + (t < count % threads ? 1 : 0);
                PacketInjector injector = injectors[t];
                for (long i = 0; i < share && !cancel.IsCancellationRequested; i++)
                {
                    SendOne(injector, frames[(int)((i * threads + t) % frames.Count)]);
                }
            });
            return count / clock.Elapsed.TotalSeconds;
        }
        finally
        {
            foreach (PacketInjector injector in injectors) injector.Dispose();
        }
    }

    private static void SendOne(PacketInjector injector, byte[] frame)
    {
        // The socket is non-blocking: a full send buffer answers EAGAIN (or ENOBUFS from the qdisc); retry.
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                injector.Send(frame);
                return;
            }
            catch (SyscallException e) when (e.Errno is Errno.EAGAIN or Errno.ENOBUFS && attempt < 1_000_000)
            {
                Thread.Yield();
            }
        }
    }
}
