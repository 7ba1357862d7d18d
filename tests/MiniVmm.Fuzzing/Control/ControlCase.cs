namespace MiniVmm.Fuzzing.Control;

/// <summary>
/// One input of the control target. Layout: u8 queue pairs (1, 2, 3, 4, 8 or 16), u8 receive queues
/// enabled (bit k: receiveq k+1; bit 7 also covers the queues past the eighth), u8 features (bit 0 MQ,
/// 1 RSS, 2 HASH_REPORT, 3 INDIRECT_DESC, 4 EVENT_IDX), u8 control queue size exponent (1..64 entries),
/// then up to 8 commands, each: u8 shape (bit 0 the host fails the steering change, bit 1 indirect,
/// bits 2-4 <see cref="AckLayout"/>), u8 class, u8 command, u16 data length (mod 1100) and the data,
/// u8 cut count (mod 8) and u16 cut positions.
/// </summary>
public sealed class ControlCase
{
    public const int MaxCommands = 8;
    private static readonly int[] s_pairs = [1, 2, 3, 4, 8, 16];

    public int Pairs { get; private init; }
    public byte EnabledMask { get; private init; }
    public byte Features { get; private init; }
    public ushort QueueSize { get; private init; }
    public List<ControlCommand> Commands { get; } = [];

    public bool Mq => (Features & 1) != 0;
    public bool Rss => (Features & 2) != 0;
    public bool HashReport => (Features & 4) != 0;
    public bool IndirectDesc => (Features & 8) != 0;
    public bool EventIdx => (Features & 16) != 0;

    /// <summary>Whether the driver set up and enabled receiveq k+1 (k = 0-based pair).</summary>
    public bool RxEnabled(int k) => (EnabledMask & (1 << Math.Min(k, 7))) != 0;

    public static ControlCase Read(ReadOnlySpan<byte> input)
    {
        var r = new FuzzReader(input);
        var c = new ControlCase
        {
            Pairs = s_pairs[r.U8() % s_pairs.Length],
            EnabledMask = r.U8(),
            Features = r.U8(),
            QueueSize = (ushort)(1 << (r.U8() % 7)),
        };
        while (c.Commands.Count < MaxCommands && !r.IsEmpty)
        {
            byte shape = r.U8();
            byte commandClass = r.U8(), command = r.U8();
            byte[] data = r.Bytes(r.U16() % 1100).ToArray();
            int[] cuts = new int[r.U8() % 8];
            for (int i = 0; i < cuts.Length; i++) cuts[i] = r.U16();
            var ack = (AckLayout)(((shape >> 2) & 7) % 6);
            c.Commands.Add(new ControlCommand([commandClass, command, .. data], cuts, (shape & 2) != 0, ack, (shape & 1) != 0));
        }
        return c;
    }
}
