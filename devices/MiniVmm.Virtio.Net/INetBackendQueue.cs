using MiniVmm.Rss;

namespace MiniVmm.Virtio.Net;

/// <summary>
/// One queue of the host back end for one queue pair (a TAP queue behind a steering back end in
/// HostNet, a fake in tests). Every packet starts with a vnet header of <see cref="HeaderBytes"/>
/// (12: virtio_net_hdr_v1, 20: virtio_net_hdr_v1_hash); num_buffers is ignored. Called only from
/// the pair's worker; never blocks.
/// </summary>
public interface INetBackendQueue
{
    /// <summary>The vnet header in front of every packet, both ways: 12 or 20. Read once per batch.</summary>
    int HeaderBytes { get; }

    /// <summary>
    /// Reads one packet with its header into <paramref name="packet"/>: <see cref="NetQueuePair.RxBufferBytes"/>
    /// long, the largest packet plus <see cref="NetQueuePair.PortScratchBytes"/> the port may use behind it.
    /// </summary>
    BackendResult Read(Span<byte> packet);

    /// <summary>Writes one packet with its header; WouldBlock leaves it to be written again later.</summary>
    BackendResult Write(ReadOnlySpan<byte> packet);

    /// <summary>
    /// The only source of the reported hash (§5.1.6.4.3): the hash of the packet the last
    /// <see cref="Read"/> returned, under <paramref name="configuration"/>. A back end answers from
    /// what it already knows (the kernel's header fields, the hash it steered by) or hashes now. The
    /// device checks the answer against the hash types the guest enabled; called only when the
    /// guest negotiated VIRTIO_NET_F_HASH_REPORT and hashing is configured.
    /// </summary>
    RxHash HashOf(ReadOnlySpan<byte> packet, RssConfiguration configuration);
}
