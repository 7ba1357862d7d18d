using MiniVmm.Native;
using MiniVmm.Native.Net;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet;

/// <summary>
/// Queue pair k's host port as its worker uses it: the back-end queue the device reads and writes,
/// and the descriptors the worker watches for it (a steering back end builds one per pair).
/// </summary>
public interface IPairPort : INetBackendQueue
{
    /// <summary>The TAP queue fd: readable means packets to receive, writable means a full queue drained.</summary>
    FileDescriptor Handle { get; }

    /// <summary>Signalled when another worker handed packets to this pair (software steering), or null.</summary>
    EventFd? Wakeup { get; }

    /// <summary>
    /// True when the TAP queue must be served even while this pair's guest has no receive buffers,
    /// because it also carries other pairs' packets (software steering): the worker then keeps
    /// watching it and calls <see cref="ServeWhileStalled"/> instead of receiving.
    /// </summary>
    bool ServesWhileStalled { get; }

    /// <summary>Moves up to <paramref name="budget"/> packets off the TAP queue without delivering any to this pair's guest.</summary>
    void ServeWhileStalled(int budget);

    /// <summary>
    /// True while the port will not read the TAP queue until its <see cref="Wakeup"/> (software
    /// steering holds a packet for a pair whose ring is full): the worker stops watching the TAP
    /// for input meanwhile instead of spinning on a readable fd.
    /// </summary>
    bool IsTapPaused => false;

    /// <summary>Told by the worker when this pair's guest runs out of receive buffers (true) and when it may have posted more (false).</summary>
    void SetRxStalled(bool stalled)
    {
    }
}
