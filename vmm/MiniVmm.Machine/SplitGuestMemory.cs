using MiniVmm.Memory;

namespace MiniVmm.Machine;

/// <summary>
/// Guest RAM in two pieces around a hole: <c>[0, below.SizeBytes)</c> and
/// <c>[aboveStart, aboveStart + above.SizeBytes)</c>. On a PC the hole is the 32-bit PCI window and
/// the IOAPIC/LAPIC below 4 GiB (<see cref="GuestRam"/>). A range is valid only inside one piece:
/// nothing in the hole, nothing that straddles it. <see cref="SizeBytes"/> is the RAM in both.
/// </summary>
public sealed class SplitGuestMemory : IGuestMemory
{
    private readonly IGuestMemory _below;
    private readonly IGuestMemory _above;
    private readonly ulong _aboveStart;

    public SplitGuestMemory(IGuestMemory below, GuestAddress aboveStart, IGuestMemory above)
    {
        if (aboveStart.Value < below.SizeBytes) throw new ArgumentException("the upper piece must start above the lower one", nameof(aboveStart));
        if (above.SizeBytes > ulong.MaxValue - aboveStart.Value) throw new ArgumentException("the upper piece wraps around 2^64", nameof(above));
        _below = below;
        _aboveStart = aboveStart.Value;
        _above = above;
    }

    public ulong SizeBytes => _below.SizeBytes + _above.SizeBytes;

    /// <summary>Where the upper piece starts (4 GiB in a machine).</summary>
    public GuestAddress AboveStart => new(_aboveStart);

    /// <summary>The end (exclusive) of the upper piece: the highest guest-physical address of RAM, plus one.</summary>
    public GuestAddress End => new(_aboveStart + _above.SizeBytes);

    public bool TryGetSpan(GuestAddress address, ulong length, out Span<byte> span)
    {
        if (address.Value < _aboveStart) return _below.TryGetSpan(address, length, out span);
        return _above.TryGetSpan(new GuestAddress(address.Value - _aboveStart), length, out span);
    }
}
