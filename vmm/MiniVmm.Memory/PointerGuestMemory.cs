namespace MiniVmm.Memory;

/// <summary>
/// Guest RAM over a block of host memory (an mmap'd region in the VMM, a pinned array in tests).
/// The owner keeps the block alive for as long as this object is used.
/// </summary>
public sealed unsafe class PointerGuestMemory : IGuestMemory
{
    private readonly byte* _base;

    public PointerGuestMemory(byte* hostBase, ulong sizeBytes)
    {
        _base = hostBase;
        SizeBytes = sizeBytes;
    }

    public ulong SizeBytes { get; }

    public bool TryGetSpan(GuestAddress address, ulong length, out Span<byte> span)
    {
        // Written as subtraction so that address + length can never wrap.
        if (length > int.MaxValue || length > SizeBytes || address.Value > SizeBytes - length)
        {
            span = default;
            return false;
        }
        // Safe: the range was checked against the block's size just above.
        span = new Span<byte>(_base + address.Value, (int)length);
        return true;
    }
}
