namespace MiniVmm.HostNet.Software;

/// <summary>What <see cref="SteeringExchange.Forward"/> did with a packet.</summary>
public enum HandOver
{
    /// <summary>In the destination's ring; its worker takes it next.</summary>
    Queued,

    /// <summary>
    /// The ring is full but the destination's guest has buffers, so its worker is draining it: the
    /// sender keeps the packet and tries again when its own wake-up eventfd fires.
    /// </summary>
    Full,

    /// <summary>Dropped and counted: the ring is full and the destination's guest has no receive buffers.</summary>
    Dropped,
}
