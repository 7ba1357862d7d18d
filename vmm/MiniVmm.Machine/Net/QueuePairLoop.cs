using MiniVmm.HostNet;
using MiniVmm.Memory;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Machine.Net;

/// <summary>
/// What worker k does for each event (docs/VIRTIO.md): TX kicks send, and TAP readability, RX kicks
/// and re-steered packets all move packets into the guest. When the guest has no RX buffers the
/// worker stops watching the TAP until the guest's next RX kick, so it never spins.
/// </summary>
internal sealed class QueuePairLoop(NetQueuePair pair, IGuestMemory memory) : IQueuePairHandler
{
    private bool _tapWatched = true;

    public QueuePairWorker? Worker { get; set; }

    public void OnTapReadable() => Receive();

    public void OnTapWritable() => pair.ProcessTx(memory);

    public void OnRxKick() => Receive();

    public void OnTxKick()
    {
        pair.ProcessTx(memory);
        // TX completions may have come with RX work pending behind a budget.
        if (pair.HasPendingRx) Receive();
    }

    public void OnResteered() => Receive();

    private void Receive()
    {
        RxOutcome outcome;
        do
        {
            outcome = pair.ProcessRx(memory);
        } while (outcome == RxOutcome.BudgetUsed && !pair.HasPendingRx);
        bool watch = outcome != RxOutcome.WaitingForGuestBuffers;
        if (watch != _tapWatched)
        {
            _tapWatched = watch;
            Worker?.WatchTap(readable: watch, writable: false);
        }
    }
}
