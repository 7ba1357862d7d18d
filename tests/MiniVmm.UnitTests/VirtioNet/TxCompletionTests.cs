using MiniVmm.Memory;
using MiniVmm.Rss;
using MiniVmm.Virtio.Net;

namespace MiniVmm.UnitTests.VirtioNet;

/// <summary>
/// When the guest sees its transmit buffers back (issue 11, item 3): a driver that reclaims used
/// buffers while it transmits (Linux's virtio_net, the probe) can refill the ring only with what
/// the device has published; a device that writes used->idx once at the end of a 256-chain batch
/// makes it wait for the whole batch, so guest and device take turns instead of overlapping.
/// </summary>
public sealed class TxCompletionTests
{
    [Fact]
    public void A_long_transmit_batch_publishes_used_chains_as_it_goes()
    {
        var rig = new NetTestRig();
        rig.Start(NetTestRig.BaseFeatures(), queueSize: 256);
        for (int i = 0; i < 200; i++)
        {
            GuestAddress at = rig.Driver.Allocate(12 + 60);
            rig.Tx(0).AddChain((at, 12 + 60, false));
        }
        var backend = new UsedIndexWatcher(rig.Tx(0));
        TxOutcome outcome = rig.Device.Pairs[0].ProcessTx(rig.Memory, backend);

        Assert.Equal(200, outcome.Completed);
        Assert.Equal(200, backend.UsedIndexAtWrite.Count);
        // While the device writes the 200th packet, the guest can already take back most of the others.
        Assert.True(backend.UsedIndexAtWrite[^1] >= 160, $"used->idx was {backend.UsedIndexAtWrite[^1]} while packet 200 went out");
        Assert.Equal(200, rig.Tx(0).UsedIdx);
    }

    /// <summary>A back end that accepts every packet and notes the used index the guest sees at each write.</summary>
    private sealed class UsedIndexWatcher(VirtqueueDriver tx) : INetBackendQueue
    {
        public List<ushort> UsedIndexAtWrite { get; } = [];

        public int HeaderBytes => VirtioNetHeader.Bytes;

        public BackendResult Read(Span<byte> packet) => BackendResult.WouldBlock;

        public BackendResult Write(ReadOnlySpan<byte> packet)
        {
            UsedIndexAtWrite.Add(tx.UsedIdx);
            return BackendResult.Written;
        }

        public RxHash HashOf(ReadOnlySpan<byte> packet, RssConfiguration configuration) => RxHash.None;
    }
}
