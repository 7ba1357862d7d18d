namespace MiniVmm.Virtio.Net;

/// <summary>Why <see cref="NetQueuePair.ProcessRx"/> stopped: tells the worker what to wait for next.</summary>
public enum RxOutcome
{
    /// <summary>The back end had nothing more: wait for the TAP fd.</summary>
    BackendEmpty,

    /// <summary>A packet waits for guest buffers: stop polling the TAP fd until the RX kick.</summary>
    WaitingForGuestBuffers,

    /// <summary>The per-call budget was used up with packets left: call again (after serving TX).</summary>
    BudgetUsed,

    /// <summary>The device is not running or this pair is beyond the active pairs: wait for a state change.</summary>
    NotActive,
}
