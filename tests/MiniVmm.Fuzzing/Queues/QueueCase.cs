namespace MiniVmm.Fuzzing.Queues;

/// <summary>
/// One input of the queue target, decoded. Layout: u16 mode (<see cref="QueueMode"/>), u8 queue size
/// exponent (size 2^(n mod 9)), u16 descriptor table, u16 available ring, u16 used ring (raw guest
/// addresses: misaligned and overlapping ones included), u16 base (with <see cref="QueueMode.SetBase"/>:
/// the last_avail_idx and used idx a resumed queue starts from), then up to 4 rounds, each: u8 patch
/// count (mod 33) and patches (u16 address, u8 length, bytes) written into guest memory, u8 budget
/// (0: the default), and for receive u8 packet count (mod 9) and packets (u16 frame length, u8 flags,
/// u8 gso_type, u8 bytes taken from the input; the rest of the frame is a pattern unique to the packet).
/// </summary>
public sealed class QueueCase
{
    public const int MaxRounds = 4;

    public QueueMode Mode { get; private init; }
    public ushort Size { get; private init; }
    public ushort DescriptorTable { get; private init; }
    public ushort AvailableRing { get; private init; }
    public ushort UsedRing { get; private init; }
    public ushort Base { get; private init; }
    public List<QueueRound> Rounds { get; } = [];

    public bool IsTransmit => (Mode & QueueMode.Transmit) != 0;

    public static QueueCase Read(ReadOnlySpan<byte> input)
    {
        var r = new FuzzReader(input);
        var c = new QueueCase
        {
            Mode = (QueueMode)r.U16(),
            Size = (ushort)(1 << (r.U8() % 9)),
            DescriptorTable = r.U16(),
            AvailableRing = r.U16(),
            UsedRing = r.U16(),
            Base = r.U16(),
        };
        for (int round = 0; round < MaxRounds && !r.IsEmpty; round++)
        {
            var patches = new List<(ushort Address, byte[] Bytes)>();
            for (int n = r.U8() % 33; n > 0; n--)
            {
                ushort address = r.U16();
                patches.Add((address, r.Bytes(r.U8()).ToArray()));
            }
            int budget = r.U8();
            var packets = new List<QueuePacket>();
            if (!c.IsTransmit)
            {
                for (int n = r.U8() % 9; n > 0; n--)
                {
                    int length = r.U16();
                    byte flags = r.U8(), gso = r.U8();
                    packets.Add(new QueuePacket(length, flags, gso, r.Bytes(r.U8()).ToArray()));
                }
            }
            c.Rounds.Add(new QueueRound(patches, budget == 0 ? Virtio.Net.NetQueuePair.DefaultBudget : budget, packets));
        }
        return c;
    }
}
