namespace MiniVmm.Fuzzing.Queues;

/// <summary>A guest-physical byte range [Start, Start + Length), overflow-free (Start + Length fits in 64 bits here by construction).</summary>
public readonly record struct ByteRange(ulong Start, ulong Length)
{
    public ulong End => Start + Length;

    public bool Contains(ulong address) => address >= Start && address - Start < Length;

    public bool Overlaps(ByteRange other) => Length != 0 && other.Length != 0 && Start < other.End && other.Start < End;
}
