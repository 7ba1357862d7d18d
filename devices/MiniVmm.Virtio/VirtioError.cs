namespace MiniVmm.Virtio;

/// <summary>
/// Why a queue, a chain or the device failed: what the driver (or the host) did wrong, as a value
/// code can act on and tests can assert, next to the human-readable detail.
/// </summary>
public enum VirtioError
{
    /// <summary>A descriptor's head or next index is outside the queue (§2.7.5).</summary>
    DescriptorIndexOutOfRange,

    /// <summary>A chain is longer than the queue, or loops (§2.7.5.3.1, §2.7.13.1).</summary>
    ChainTooLong,

    /// <summary>An indirect descriptor without VIRTIO_F_INDIRECT_DESC, with NEXT, nested, or with a bad table (§2.7.5.3).</summary>
    BadIndirectDescriptor,

    /// <summary>A buffer, table or ring field lies outside guest memory.</summary>
    AddressOutsideMemory,

    /// <summary>A device-readable buffer after a device-writable one (§2.7.4.2), or byte totals over 32 bits.</summary>
    BadChainLayout,

    /// <summary>avail->idx is more than the queue size ahead of what the device consumed (§2.7.13.3).</summary>
    AvailIndexAhead,

    /// <summary>Rings misaligned or outside memory when the queue was enabled (§2.7).</summary>
    BadRingAddress,

    /// <summary>A receive, transmit or control chain without the buffers its queue needs (§5.1.6).</summary>
    BadChainForQueue,

    /// <summary>The driver broke the status protocol: DRIVER_OK without FEATURES_OK, or a bit cleared without a reset (§2.1.2, §3.1.1).</summary>
    BadDeviceStatus,

    /// <summary>The host side failed persistently (a TAP queue that keeps answering errors).</summary>
    BackendFailed,

    /// <summary>A worker thread hit an error that is a bug of ours; reported, never swallowed.</summary>
    WorkerFault,
}
