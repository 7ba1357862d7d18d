using MiniVmm.Native;

namespace MiniVmm.VhostUser.FrontEnd;

/// <summary>
/// A vhost back end as a front end drives it: a vhost-user process (<see cref="VhostUserBackend"/>)
/// or the kernel's vhost-net. The same calls in the same order for both: features, the memory table,
/// then each ring (size, addresses, base, kick, call, enable), and GET_VRING_BASE to stop one. Calls
/// come from one thread at a time; the events may be raised on any thread.
/// </summary>
public interface IVhostBackend : IDisposable
{
    /// <summary>What the log lines call it, e.g. "vhost-user /run/mv.sock".</summary>
    string Name { get; }

    /// <summary>The virtio feature bits the back end offers (VHOST_USER_F_PROTOCOL_FEATURES removed).</summary>
    ulong Features { get; }

    /// <summary>Queue pairs the back end serves (GET_QUEUE_NUM; 1 when it does not say).</summary>
    int QueuePairs { get; }

    /// <summary>Reads the back end's device config space; false when it has none (PROTOCOL_F_CONFIG not negotiated).</summary>
    bool TryReadConfig(Span<byte> config);

    /// <summary>The features the driver accepted, masked to what the back end offered.</summary>
    void SetFeatures(ulong features);

    /// <summary>The guest's memory: vhost-user maps each region's file, vhost-net uses each region's host address.</summary>
    void SetMemoryTable(IReadOnlyList<SharedMemoryRegion> regions);

    /// <summary>
    /// Hands over a ring: size, addresses, where to resume (<paramref name="lastAvail"/>), the kick fd
    /// the guest signals and the call fd the back end signals, then enables it.
    /// </summary>
    void StartRing(VhostRing ring, ushort lastAvail, FileDescriptor kick, FileDescriptor call);

    /// <summary>Stops a ring and returns its last_avail_idx (GET_VRING_BASE; vhost-net unbinds its TAP queue first).</summary>
    ushort StopRing(int index);

    /// <summary>
    /// Enables or disables a started ring: VQ_PAIRS_SET for a back end without a control queue
    /// (vhost-user: SET_VRING_ENABLE; vhost-net: VHOST_NET_SET_BACKEND with the pair's TAP queue or -1).
    /// </summary>
    void SetRingEnabled(int index, bool enabled);

    /// <summary>The back end's config space changed (CONFIG_CHANGE_MSG: link status).</summary>
    event Action? ConfigChanged;

    /// <summary>The back end went away (its socket closed or stopped answering).</summary>
    event Action? Disconnected;
}
