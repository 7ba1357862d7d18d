namespace MiniVmm.VhostUser.Protocol;

/// <summary>
/// A request the parser accepted: its header and the payload decoded for its kind. Only the
/// member for the request's kind is meaningful; descriptors stay with the caller, who knows
/// from <see cref="FdCount"/> how many the message uses.
/// </summary>
public sealed class VhostUserMessage
{
    public required VhostUserHeader Header { get; init; }

    public VhostUserRequest Request => Header.KnownRequest;

    /// <summary>The front end asked for a REPLY_ACK (and will wait for it).</summary>
    public bool NeedsReply => Header.NeedsReply;

    /// <summary>SET_FEATURES, SET_PROTOCOL_FEATURES.</summary>
    public ulong Value { get; init; }

    /// <summary>SET_VRING_NUM, SET_VRING_BASE, SET_VRING_ENABLE, GET_VRING_BASE.</summary>
    public VringState VringState { get; init; }

    /// <summary>SET_VRING_ADDR.</summary>
    public VringAddress VringAddress { get; init; }

    /// <summary>SET_VRING_KICK, SET_VRING_CALL, SET_VRING_ERR.</summary>
    public VringFile VringFile { get; init; }

    /// <summary>SET_MEM_TABLE, in the order sent; region i's descriptor is the i-th one received.</summary>
    public IReadOnlyList<MemoryRegionDescription> Regions { get; init; } = [];

    /// <summary>GET_CONFIG, SET_CONFIG.</summary>
    public VhostUserConfig? Config { get; init; }

    /// <summary>How many of the received descriptors belong to this message (all of them, when accepted).</summary>
    public int FdCount { get; init; }
}
