namespace MiniVmm.Virtio.Queues;

/// <summary>struct virtq_desc flags (virtio 1.2 §2.7.5).</summary>
[Flags]
public enum VirtqDescFlags : ushort
{
    None = 0,
    /// <summary>VIRTQ_DESC_F_NEXT: the chain continues via the next field.</summary>
    Next = 1,
    /// <summary>VIRTQ_DESC_F_WRITE: the buffer is device write-only (otherwise read-only).</summary>
    Write = 2,
    /// <summary>VIRTQ_DESC_F_INDIRECT: the buffer holds a table of descriptors (§2.7.5.3).</summary>
    Indirect = 4,
}
