namespace MiniVmm.Memory;

/// <summary>Guest RAM backed by a managed array: for unit tests of device logic and for small tools.</summary>
public sealed class ArrayGuestMemory(int sizeBytes) : IGuestMemory
{
    private readonly byte[] _bytes = new byte[sizeBytes];

    public ulong SizeBytes => (ulong)_bytes.Length;

    public bool TryGetSpan(GuestAddress address, ulong length, out Span<byte> span)
    {
        if (length > SizeBytes || address.Value > SizeBytes - length)
        {
            span = default;
            return false;
        }
        span = _bytes.AsSpan((int)address.Value, (int)length);
        return true;
    }
}
