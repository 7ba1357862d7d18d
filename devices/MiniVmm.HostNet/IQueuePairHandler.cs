namespace MiniVmm.HostNet;

/// <summary>
/// What a <see cref="QueuePairWorker"/> calls, on its own thread, for each event. The worker has
/// already drained the eventfd behind a kick, so a handler processes everything pending and returns.
/// Packet work lives here (the device's queue pair); the worker only maps events to these methods.
/// </summary>
public interface IQueuePairHandler
{
    /// <summary>The TAP queue has packets: move them to the guest RX queue until either runs dry.</summary>
    void OnTapReadable();

    /// <summary>The TAP queue accepts writes again after a write returned false (EAGAIN).</summary>
    void OnTapWritable();

    /// <summary>The guest added RX buffers (its RX queue notification).</summary>
    void OnRxKick();

    /// <summary>The guest added TX packets (its TX queue notification).</summary>
    void OnTxKick();

    /// <summary>Another worker handed packets to this pair (software steering): drain the hand-off rings.</summary>
    void OnResteered();
}
