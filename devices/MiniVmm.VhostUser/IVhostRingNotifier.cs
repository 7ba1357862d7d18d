namespace MiniVmm.VhostUser;

/// <summary>
/// Signals the front end for one ring: the call fd (used buffers, an interrupt for the driver) or
/// the err fd. Thread-safe and non-blocking; a worker calls it on its own thread.
/// </summary>
public interface IVhostRingNotifier
{
    /// <summary>Sends one notification (8 bytes on the descriptor); a ring without a descriptor drops it.</summary>
    void Signal();
}
