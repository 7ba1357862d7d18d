using MiniVmm.Rss;

namespace MiniVmm.Virtio.Net;

/// <summary>
/// Computes the RSS hash the device reports in virtio_net_hdr_v1_hash (virtio 1.2 §5.1.6.4.3) for
/// a received frame, under the current configuration. Implemented by the steering back ends;
/// called on the per-pair worker for every packet, so it must not allocate or lock. A pair's back-end
/// port that implements it (it hashed the packet already) is asked before the device-wide provider.
/// </summary>
public interface IRxHashProvider
{
    /// <summary>Returns false (and report None) when no enabled hash type applies to the frame.</summary>
    bool TryComputeHash(ReadOnlySpan<byte> frame, RssConfiguration configuration, out uint hashValue, out VirtioNetHashReport hashReport);
}
