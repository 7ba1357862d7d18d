namespace MiniVmm.Virtio.Net;

/// <summary>
/// One queue of the host back end for one queue pair (a TAP queue fd in HostNet, a fake in tests).
/// Every packet starts with the header <see cref="Header"/> describes (12-byte virtio_net_hdr_v1 unless
/// the back end says otherwise; num_buffers is ignored). Called only from the pair's worker; must not block.
/// </summary>
public interface INetBackendQueue
{
    /// <summary>
    /// The header the packets carry, both ways. Read once per batch, so it may change between
    /// batches (a TAP whose TUNSETVNETHDRSZ changed, a back end that stopped filling the hash).
    /// </summary>
    BackendHeader Header => BackendHeader.V1;

    /// <summary>Reads one packet with its header; returns its length, or 0 when none is waiting.</summary>
    int Read(Span<byte> packetWithVnetHeader);

    /// <summary>Writes one packet with its header; false when the back end dropped it.</summary>
    bool Write(ReadOnlySpan<byte> packetWithVnetHeader);
}
