namespace MiniVmm.VhostUser.Protocol;

/// <summary>Virtio feature bits the vhost-user layer itself adds or refuses to pass on.</summary>
public static class VhostUserVirtioFeatures
{
    /// <summary>VHOST_USER_F_PROTOCOL_FEATURES (bit 30): GET/SET_PROTOCOL_FEATURES exist, rings start disabled.</summary>
    public const ulong ProtocolFeatures = 1UL << 30;

    /// <summary>VHOST_F_LOG_ALL (bit 26): dirty logging for migration, which this back end does not do.</summary>
    public const ulong LogAll = 1UL << 26;

    /// <summary>VIRTIO_F_ACCESS_PLATFORM (33): addresses through an IOMMU (IOTLB messages); not served.</summary>
    public const ulong AccessPlatform = 1UL << 33;

    /// <summary>VIRTIO_F_RING_PACKED (34): the packed ring layout; the device core has split rings only.</summary>
    public const ulong RingPacked = 1UL << 34;

    /// <summary>Bits never offered whatever the device says: both front ends would use them.</summary>
    public const ulong NeverOffered = LogAll | AccessPlatform | RingPacked;
}
