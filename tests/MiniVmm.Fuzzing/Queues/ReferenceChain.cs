using MiniVmm.Virtio;

namespace MiniVmm.Fuzzing.Queues;

/// <summary>
/// One chain as the fuzz oracle's own reading of virtio 1.2 §2.7.5 sees it in the memory image before
/// the device ran: its buffers, what it read to find them (descriptor entries, indirect tables), and
/// the first rule it breaks (null: a valid chain).
/// </summary>
public sealed class ReferenceChain
{
    public required ushort Head { get; init; }

    public VirtioError? Error { get; set; }

    public List<(ByteRange Range, bool Writable)> Buffers { get; } = [];

    /// <summary>The indirect table read while walking, if any (direct entries all lie in the descriptor table).</summary>
    public List<ByteRange> IndirectTables { get; } = [];

    public ulong ReadableBytes { get; set; }

    public ulong WritableBytes { get; set; }

    public bool IsValid => Error is null;

    public IEnumerable<ByteRange> WritableRanges => Buffers.Where(b => b.Writable && b.Range.Length != 0).Select(b => b.Range);

    /// <summary>The first <paramref name="count"/> bytes the chain's writable buffers hold, in order.</summary>
    public byte[] GatherWritable(ReadOnlySpan<byte> image, ulong count) => Gather(image, writable: true, count);

    /// <summary>Every byte of the readable buffers, in order.</summary>
    public byte[] GatherReadable(ReadOnlySpan<byte> image) => Gather(image, writable: false, ReadableBytes);

    private byte[] Gather(ReadOnlySpan<byte> image, bool writable, ulong count)
    {
        var bytes = new List<byte>();
        foreach ((ByteRange range, bool w) in Buffers)
        {
            if (w != writable) continue;
            ulong take = Math.Min(range.Length, count - (ulong)bytes.Count);
            bytes.AddRange(image.Slice((int)range.Start, (int)take));
            if ((ulong)bytes.Count == count) break;
        }
        return [.. bytes];
    }
}
