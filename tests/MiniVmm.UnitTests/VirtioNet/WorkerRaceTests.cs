using MiniVmm.Memory;
using MiniVmm.Virtio.Net;

namespace MiniVmm.UnitTests.VirtioNet;

/// <summary>Workers keep processing while the driver resets and re-initialises the device.</summary>
public class WorkerRaceTests
{
    private sealed class EndlessBackend : INetBackendQueue
    {
        private readonly byte[] _packet = new byte[12 + 60];
        public int Read(Span<byte> packet) { _packet.CopyTo(packet); return _packet.Length; }
        public bool Write(ReadOnlySpan<byte> packet) => true;
    }

    [Fact]
    public void ResetWhileWorkersRun_NeverThrowsInAWorker()
    {
        var rig = new NetTestRig(new VirtioNetOptions { QueuePairs = 1 });
        rig.Device.Pairs[0].Backend = new EndlessBackend();
        Exception? failure = null;
        long batches = 0;
        using var stop = new CancellationTokenSource();
        var worker = new Thread(() =>
        {
            try
            {
                while (!stop.IsCancellationRequested)
                {
                    rig.Device.Pairs[0].ProcessRx(rig.Memory);
                    rig.Device.Pairs[0].ProcessTx(rig.Memory);
                    Interlocked.Increment(ref batches);
                }
            }
            catch (Exception e)
            {
                failure = e;
            }
        }) { Name = "net0-qp0-test" };
        worker.Start();
        for (int round = 0; round < 50; round++)
        {
            rig.Queues.Clear();
            rig.Start(NetTestRig.BaseFeatures(), queueSize: 16);
            for (int i = 0; i < 8; i++)
            {
                rig.Rx(0).AddChain((rig.Driver.Allocate(2048), 2048, true));
                rig.Tx(0).AddChain((rig.Driver.Allocate(128), 72, false));
            }
            Thread.Sleep(1);
            rig.Driver.Write(20, 1, 0);
        }
        stop.Cancel();
        worker.Join();
        Assert.Null(failure);
        Assert.True(Interlocked.Read(ref batches) > 0);
        Assert.False(rig.NeedsReset);
    }
}
