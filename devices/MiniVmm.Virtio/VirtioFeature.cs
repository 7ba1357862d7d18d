namespace MiniVmm.Virtio;

/// <summary>Device-independent feature bit numbers (virtio 1.2 §6, "Reserved Feature Bits").</summary>
public static class VirtioFeature
{
    /// <summary>VIRTIO_F_INDIRECT_DESC: descriptors may point at a table of descriptors (§2.7.5.3).</summary>
    public const int IndirectDesc = 28;

    /// <summary>VIRTIO_F_EVENT_IDX: used_event / avail_event suppress notifications (§2.7.7, §2.7.10).</summary>
    public const int EventIdx = 29;

    /// <summary>VIRTIO_F_VERSION_1: compliance with this specification; a modern device requires it.</summary>
    public const int Version1 = 32;

    /// <summary>The mask of one feature bit.</summary>
    public static ulong Bit(int feature) => 1UL << feature;
}
