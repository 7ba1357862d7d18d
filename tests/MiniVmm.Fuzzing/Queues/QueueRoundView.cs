using System.Buffers.Binary;

namespace MiniVmm.Fuzzing.Queues;

/// <summary>
/// What the memory image says before one round: the chains the driver made available (walked by
/// <see cref="ReferenceWalk"/>), the ring areas, and whether the layout lets the device's own writes
/// change what it reads (a device-writable buffer over a descriptor, a ring or an indirect table, or
/// the used ring over the driver's structures). Such self-modifying layouts are legal for a hostile
/// guest, but then the image before the round no longer predicts what the device saw, so the oracle
/// checks only that nothing escaped.
/// </summary>
public sealed class QueueRoundView
{
    public QueueRoundView(ReadOnlySpan<byte> image, QueueCase c, ushort nextAvail, bool indirect)
    {
        Size = c.Size;
        AvailRing = new ByteRange(c.AvailableRing, 6UL + 2UL * c.Size);
        UsedRing = new ByteRange(c.UsedRing, 6UL + 8UL * c.Size);
        DescriptorTable = new ByteRange(c.DescriptorTable, 16UL * c.Size);
        ushort availIdx = BinaryPrimitives.ReadUInt16LittleEndian(image[(c.AvailableRing + 2)..]);
        Pending = (ushort)(availIdx - nextAvail);
        int walk = Math.Min((int)Pending, c.Size);
        for (int k = 0; k < walk; k++)
        {
            int slot = c.AvailableRing + 4 + 2 * ((nextAvail + k) & (c.Size - 1));
            ushort head = BinaryPrimitives.ReadUInt16LittleEndian(image[slot..]);
            Chains.Add(ReferenceWalk.Walk(image, c.DescriptorTable, c.Size, head, indirect));
        }

        // Group 0: device-writable bytes of valid chains; group 1: what the driver laid out for the device to read, and the used ring.
        var layout = new List<(int, ByteRange)> { (1, AvailRing), (1, DescriptorTable), (1, UsedRing) };
        var buffers = new List<(int, ByteRange)>();
        var structures = new List<ByteRange> { AvailRing, DescriptorTable };
        for (int i = 0; i < Chains.Count; i++)
        {
            ReferenceChain chain = Chains[i];
            structures.AddRange(chain.IndirectTables);
            layout.AddRange(chain.IndirectTables.Select(t => (1, t)));
            if (!chain.IsValid) continue;
            // What the device reads may not lie under what it writes into the used ring either (a transmit
            // chain's buffer there would change between one chain's completion and the next one's gathering).
            structures.AddRange(chain.Buffers.Where(b => !b.Writable).Select(b => b.Range));
            foreach (ByteRange w in chain.WritableRanges)
            {
                layout.Add((0, w));
                buffers.Add((buffers.Count, w));
                Allowed.Add(w);
            }
        }
        Allowed.Add(UsedRing);
        SelfModifying = RangeOverlap.BetweenGroups(layout) || structures.Any(UsedRing.Overlaps);
        BuffersOverlap = RangeOverlap.BetweenGroups(buffers);
    }
    public int Size { get; }
    public ByteRange AvailRing { get; }
    public ByteRange UsedRing { get; }
    public ByteRange DescriptorTable { get; }

    /// <summary>avail->idx minus the device's next slot: how many chains the driver says it posted.</summary>
    public ushort Pending { get; }

    /// <summary>The chains in the next min(Pending, Size) available slots, in ring order.</summary>
    public List<ReferenceChain> Chains { get; } = [];

    public bool SelfModifying { get; }

    /// <summary>Two device-writable buffers of valid chains (of one chain or two) share bytes: what the device wrote first, it may overwrite.</summary>
    public bool BuffersOverlap { get; }

    /// <summary>Where the device may write this round: the writable buffers of valid posted chains, and the used ring.</summary>
    public List<ByteRange> Allowed { get; } = [];
}
