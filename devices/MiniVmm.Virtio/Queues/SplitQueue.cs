using System.Buffers.Binary;
using System.Numerics;
using MiniVmm.Memory;

namespace MiniVmm.Virtio.Queues;

/// <summary>
/// The device side of one split virtqueue (virtio 1.2 §2.7): only ring state lives here; guest
/// memory is passed to every call. Configuration (size, ring addresses) is written by the
/// transport while the queue is disabled; the data path (pop, used, notify) runs on one worker.
/// Hostile rings raise <see cref="VirtioDeviceException"/>.
/// </summary>
public sealed class SplitQueue
{
    /// <summary>NO_VECTOR (§4.1.5.1.2): no MSI-X vector is assigned.</summary>
    public const ushort NoVector = 0xFFFF;

    private const ulong DescriptorBytes = 16;
    private const ushort AvailFlagNoInterrupt = 1; // VIRTQ_AVAIL_F_NO_INTERRUPT

    private Descriptor[] _scratch = [];
    private ushort _nextAvail;
    private ushort _nextUsed;
    private ushort _signalledUsed;
    private bool _eventIdx;
    private bool _indirect;

    public SplitQueue(ushort maxSize)
    {
        if (maxSize == 0 || !BitOperations.IsPow2((uint)maxSize) || maxSize > 32768)
        {
            throw new ArgumentOutOfRangeException(nameof(maxSize), "queue size must be a power of two up to 32768");
        }
        MaxSize = maxSize;
        Reset();
    }

    /// <summary>The largest size the device allows (queue_size as first read, §4.1.4.3).</summary>
    public ushort MaxSize { get; }

    /// <summary>The size the driver chose: a power of two, at most <see cref="MaxSize"/>.</summary>
    public ushort Size { get; private set; }

    public bool IsEnabled { get; private set; }

    public GuestAddress DescriptorTable { get; set; }
    public GuestAddress DriverArea { get; set; }
    public GuestAddress DeviceArea { get; set; }

    /// <summary>queue_msix_vector (§4.1.5.1.2), or <see cref="NoVector"/>.</summary>
    public ushort MsixVector { get; set; } = NoVector;

    /// <summary>The next available ring slot the device will read (last_avail_idx).</summary>
    public ushort NextAvail => _nextAvail;

    /// <summary>The used index the device will publish next (its own copy of used->idx).</summary>
    public ushort NextUsed => _nextUsed;

    /// <summary>
    /// Resumes an enabled queue where another device instance left it: vhost-user's SET_VRING_BASE
    /// gives last_avail_idx, and used->idx is read back from guest memory (a back end that assumed 0
    /// here broke every guest reboot in rust-vmm/vhost#180).
    /// </summary>
    public void SetBase(ushort nextAvail, ushort nextUsed)
    {
        _nextAvail = nextAvail;
        _nextUsed = _signalledUsed = nextUsed;
    }

    /// <summary>used->idx as it is in guest memory (what a restarted device continues from).</summary>
    public ushort ReadUsedIndex(IGuestMemory memory) => RingAccess.ReadU16(memory, DeviceArea + 2);

    /// <summary>Sets the size if it is a power of two no larger than the maximum; returns false otherwise.</summary>
    public bool TrySetSize(ushort size)
    {
        if (IsEnabled || size == 0 || !BitOperations.IsPow2((uint)size) || size > MaxSize)
        {
            return false;
        }
        Size = size;
        return true;
    }

    /// <summary>
    /// Enables the queue after checking its rings (§2.7: alignment 16/2/4, every ring inside RAM).
    /// Returns an error text instead of enabling when a ring is bad.
    /// </summary>
    public string? TryEnable(IGuestMemory memory)
    {
        ulong size = Size;
        if ((DescriptorTable.Value & 15) != 0 || (DriverArea.Value & 1) != 0 || (DeviceArea.Value & 3) != 0)
        {
            return $"queue rings misaligned (desc {DescriptorTable}, driver {DriverArea}, device {DeviceArea})";
        }
        if (!memory.IsValidRange(DescriptorTable, DescriptorBytes * size)
            || !memory.IsValidRange(DriverArea, 6 + 2 * size)
            || !memory.IsValidRange(DeviceArea, 6 + 8 * size))
        {
            return $"queue rings outside guest memory (desc {DescriptorTable}, driver {DriverArea}, device {DeviceArea}, size {size})";
        }
        if (_scratch.Length != Size)
        {
            _scratch = new Descriptor[Size];
        }
        _nextAvail = _nextUsed = _signalledUsed = 0;
        IsEnabled = true;
        return null;
    }

    /// <summary>Applies the negotiated VIRTIO_F_EVENT_IDX and VIRTIO_F_INDIRECT_DESC.</summary>
    public void SetFeatures(ulong negotiated)
    {
        _eventIdx = (negotiated & VirtioFeature.Bit(VirtioFeature.EventIdx)) != 0;
        _indirect = (negotiated & VirtioFeature.Bit(VirtioFeature.IndirectDesc)) != 0;
    }

    /// <summary>Back to the state after device reset (§2.4): disabled, max size, no vector.</summary>
    public void Reset()
    {
        IsEnabled = false;
        Size = MaxSize;
        DescriptorTable = DriverArea = DeviceArea = default;
        MsixVector = NoVector;
        _nextAvail = _nextUsed = _signalledUsed = 0;
        _eventIdx = _indirect = false;
    }

    /// <summary>
    /// Pops the next available chain (§2.7.13.2 device side). False when the ring is empty; with
    /// EVENT_IDX it then asks for a notification at the next addition (avail_event, §2.7.10) and
    /// re-checks, so a buffer added meanwhile is never missed.
    /// </summary>
    public bool TryPopChain(IGuestMemory memory, out DescriptorChain chain)
    {
        chain = default;
        if (!IsEnabled)
        {
            return false;
        }
        if (!HasAvailable(memory))
        {
            if (!_eventIdx)
            {
                return false;
            }
            RingAccess.WriteU16(memory, AvailEventAddress, _nextAvail);
            Interlocked.MemoryBarrier(); // the store to avail_event must precede the re-read of idx
            if (!HasAvailable(memory))
            {
                return false;
            }
        }
        GuestAddress slot = DriverArea + 4 + 2UL * (ulong)(_nextAvail & (Size - 1));
        ushort head = RingAccess.ReadU16(memory, slot);
        chain = DescriptorWalk.Walk(memory, this, head, _scratch, _indirect);
        _nextAvail++;
        return true;
    }

    /// <summary>Puts back the last <paramref name="count"/> popped chains (an RX packet did not fit).</summary>
    public void UndoPop(int count) => _nextAvail = (ushort)(_nextAvail - count);

    /// <summary>Writes a used element (§2.7.8) without publishing it; see <see cref="PublishUsed"/>.</summary>
    public void AddUsed(IGuestMemory memory, ushort head, uint writtenBytes)
    {
        GuestAddress element = DeviceArea + 4 + 8UL * (ulong)(_nextUsed & (Size - 1));
        Span<byte> span = RingAccess.Field(memory, element, 8);
        BinaryPrimitives.WriteUInt32LittleEndian(span, head);
        BinaryPrimitives.WriteUInt32LittleEndian(span[4..], writtenBytes);
        _nextUsed++;
    }

    /// <summary>Publishes every used element added so far by writing used->idx (release).</summary>
    public void PublishUsed(IGuestMemory memory) => RingAccess.WriteIndexRelease(memory, DeviceArea + 2, _nextUsed);

    /// <summary>
    /// Whether the driver wants a used buffer notification for what was published since the last
    /// one (§2.7.7.2: used_event with EVENT_IDX, otherwise VIRTQ_AVAIL_F_NO_INTERRUPT).
    /// </summary>
    public bool NeedsNotification(IGuestMemory memory)
    {
        if (!IsEnabled)
        {
            return false;
        }
        Interlocked.MemoryBarrier(); // used->idx must be visible before reading used_event / flags
        ushort old = _signalledUsed;
        ushort now = _nextUsed;
        if (old == now)
        {
            return false;
        }
        _signalledUsed = now;
        if (_eventIdx)
        {
            ushort usedEvent = RingAccess.ReadU16(memory, DriverArea + 4 + 2UL * Size);
            return (ushort)(now - usedEvent - 1) < (ushort)(now - old);
        }
        return (RingAccess.ReadU16(memory, DriverArea) & AvailFlagNoInterrupt) == 0;
    }

    private GuestAddress AvailEventAddress => DeviceArea + 4 + 8UL * Size;

    private bool HasAvailable(IGuestMemory memory)
    {
        ushort availIdx = RingAccess.ReadIndexAcquire(memory, DriverArea + 2);
        ushort pending = (ushort)(availIdx - _nextAvail);
        if (pending > Size)
        {
            // §2.7.13.3: the driver can never have more than Size entries outstanding.
            throw new VirtioDeviceException(VirtioError.AvailIndexAhead, $"avail idx {availIdx} is {pending} ahead of {_nextAvail}, more than queue size {Size}");
        }
        return pending != 0;
    }
}
