using MiniVmm.Rss;

namespace MiniVmm.Virtio.Net;

/// <summary>The hash value and report type a back end gives for one received packet (virtio 1.2 §5.1.6.4.3).</summary>
public readonly record struct RxHash(uint Value, VirtioNetHashReport Report)
{
    /// <summary>VIRTIO_NET_HASH_REPORT_NONE, which always carries hash 0.</summary>
    public static RxHash None => default;
}
