namespace MiniVmm.Memory;

/// <summary>
/// Guest RAM as device code sees it: only spans over checked ranges. Every range check is
/// overflow-safe, so a hostile address or length near 2^64 is refused, never wrapped.
/// </summary>
public interface IGuestMemory
{
    /// <summary>Bytes of guest RAM in all. It starts at guest-physical 0 but need not be one block: which
    /// addresses are RAM only <see cref="TryGetSpan"/> says.</summary>
    ulong SizeBytes { get; }

    /// <summary>A span over [address, address + length), or false when any byte is outside RAM.</summary>
    bool TryGetSpan(GuestAddress address, ulong length, out Span<byte> span);
}
