using MiniVmm.Memory;

namespace MiniVmm.Virtio.Queues;

/// <summary>
/// One buffer of a descriptor chain after validation (struct virtq_desc, virtio 1.2 §2.7.5):
/// its range is inside guest RAM and it is either device-readable or device-writable.
/// </summary>
public readonly record struct Descriptor(GuestAddress Address, uint Length, bool IsWritable);
