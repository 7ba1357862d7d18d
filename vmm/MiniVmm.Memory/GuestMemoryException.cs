namespace MiniVmm.Memory;

/// <summary>A guest address range that is not entirely inside guest RAM.</summary>
public sealed class GuestMemoryException(GuestAddress address, ulong length)
    : Exception($"guest range {address}+{length} is outside guest memory")
{
    public GuestAddress Address { get; } = address;
    public ulong Length { get; } = length;
}
