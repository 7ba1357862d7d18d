namespace MiniVmm.HostNet.Software;

/// <summary>Why the software back end dropped a packet for a destination pair.</summary>
public enum HandOverDropReason
{
    /// <summary>The destination's ring was full while its guest had no receive buffers (a NIC drops on a full queue too).</summary>
    NoGuestBuffers,

    /// <summary>Larger than the destination can take: its worker's receive buffer, or its ring even when empty.</summary>
    TooLarge,
}
