namespace MiniVmm.Virtio.Net;

/// <summary>Why <see cref="NetQueuePair.ProcessTx"/> stopped.</summary>
public enum TxStop
{
    /// <summary>The guest has nothing more to send: wait for the TX kick.</summary>
    QueueEmpty,

    /// <summary>The back end has no room (EAGAIN): the chain stays queued; wait until the queue fd is writable.</summary>
    BackendFull,

    /// <summary>The budget was used with chains left: serve the other direction, then call again.</summary>
    BudgetUsed,

    /// <summary>The guest broke the protocol on this queue (<see cref="TxOutcome.Failure"/>).</summary>
    Failed,
}
