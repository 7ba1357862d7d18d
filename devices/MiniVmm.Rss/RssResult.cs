namespace MiniVmm.Rss;

/// <summary>
/// What RSS decided for one received frame (virtio 1.2 §5.1.6.4.3 and §5.1.6.5.7.3 "RSS processing"):
/// the hash value and report type to put in struct virtio_net_hdr_v1_hash, and the receive queue
/// (0 = receiveq1). When no enabled hash type applies, HashValue is 0, HashReport is None and
/// Queue is the configuration's unclassified queue.
/// </summary>
public readonly record struct RssResult(uint HashValue, VirtioNetHashReport HashReport, ushort Queue);
