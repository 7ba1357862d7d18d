namespace MiniVmm.Virtio.Net;

/// <summary>Why <see cref="NetQueuePair.ProcessRx"/> stopped: tells the worker what to wait for next.</summary>
public enum RxStop
{
    /// <summary>The back end had nothing more: wait for the queue fd.</summary>
    BackendEmpty,

    /// <summary>A packet waits for guest buffers: stop watching the queue fd until the RX kick.</summary>
    NoGuestBuffers,

    /// <summary>The budget was used with packets left: serve the other direction, then call again.</summary>
    BudgetUsed,

    /// <summary>The guest broke the protocol on this queue, or the back end kept failing (<see cref="RxOutcome.Failure"/>).</summary>
    Failed,
}
