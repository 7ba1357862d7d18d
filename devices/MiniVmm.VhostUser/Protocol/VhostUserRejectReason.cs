namespace MiniVmm.VhostUser.Protocol;

/// <summary>
/// Why a message (or the ring or session it addressed) was refused. The parser returns the
/// framing and layout reasons; the session adds the ones that depend on its state. Tests assert
/// the reason, not a log text.
/// </summary>
public enum VhostUserRejectReason
{
    None = 0,

    // Framing (VhostUserParser.TryParseHeader, and the session's reads).
    /// <summary>End of stream inside a header or payload: the front end vanished mid-message.</summary>
    Truncated,
    /// <summary>Version bits of the flags are not 1.</summary>
    BadVersion,
    /// <summary>A request that carries the REPLY flag.</summary>
    UnexpectedReply,
    /// <summary>A payload larger than any request has (the stream cannot be trusted after it).</summary>
    PayloadTooLarge,

    // Layout (VhostUserParser.TryParse).
    /// <summary>A request this back end does not implement.</summary>
    UnknownRequest,
    /// <summary>The payload size is not the one the request has.</summary>
    WrongPayloadSize,
    /// <summary>Descriptors on a message that takes none (or fewer than it came with).</summary>
    UnexpectedFds,
    /// <summary>Fewer descriptors than the message needs (a region, a kick/call/err, the slave channel).</summary>
    MissingFds,
    /// <summary>More descriptors than one message may carry: the kernel truncated the control data.</summary>
    TooManyFds,
    /// <summary>A memory table with more regions than its payload holds, or than 8.</summary>
    TooManyRegions,
    /// <summary>A memory region of size 0.</summary>
    EmptyRegion,
    /// <summary>A memory region whose guest address, user address or mmap offset plus size wraps past 2^64.</summary>
    RegionOverflow,
    /// <summary>Two regions share guest-physical or user addresses.</summary>
    RegionsOverlap,
    /// <summary>A config request of size 0 (VHOST-USER.md: zero-length payload = error).</summary>
    EmptyConfig,
    /// <summary>A config request larger than VHOST_USER_MAX_CONFIG_SIZE, or whose size field disagrees with the payload.</summary>
    ConfigSizeMismatch,
    /// <summary>Reserved bits set (a vring file's bits 9-63, vring address flags other than LOG).</summary>
    ReservedBitsSet,
    /// <summary>SET_VRING_BASE above 0xffff (a split ring's avail index is 16 bits).</summary>
    BaseOutOfRange,

    // Session state (VhostUserSession).
    /// <summary>A ring index the device does not have.</summary>
    RingIndexOutOfRange,
    /// <summary>SET_VRING_NUM not a power of two in 1..32768.</summary>
    RingSizeInvalid,
    /// <summary>SET_FEATURES with bits the back end did not offer.</summary>
    FeaturesNotOffered,
    /// <summary>SET_PROTOCOL_FEATURES with bits the back end did not offer.</summary>
    ProtocolFeaturesNotOffered,
    /// <summary>A region that cannot be mapped: its descriptor is shorter than mmap offset + size, or mmap failed.</summary>
    RegionNotMappable,
    /// <summary>A ring address outside the region table, or a ring that does not fit in guest memory.</summary>
    RingOutsideMemory,
    /// <summary>A config window outside the device's config space.</summary>
    ConfigOutOfRange,
    /// <summary>A request this back end understands but does not serve in this form (a kick without descriptor: polling).</summary>
    NotSupported,
    /// <summary>The device refused to activate or start the ring.</summary>
    DeviceFailed,
}
