namespace MiniVmm.Memory;

/// <summary>A guest-physical address. A type of its own so it is never mixed up with a length or a host pointer.</summary>
public readonly record struct GuestAddress(ulong Value) : IComparable<GuestAddress>
{
    public static GuestAddress operator +(GuestAddress a, ulong offset) => new(a.Value + offset);

    /// <summary>Adds an offset, failing instead of wrapping past 2^64.</summary>
    public bool TryAdd(ulong offset, out GuestAddress result)
    {
        ulong sum = Value + offset;
        result = new GuestAddress(sum);
        return sum >= Value;
    }

    public int CompareTo(GuestAddress other) => Value.CompareTo(other.Value);

    public override string ToString() => $"0x{Value:x}";
}
