using MiniVmm.Rss;

namespace MiniVmm.Fuzzing.Rss;

/// <summary>
/// One input of the rss targets: an RSS configuration the device could accept (key of 0..40 bytes,
/// any hash-type bits, a table of 1..128 entries) and a frame. Layout: u8 shape (bits 0-2: table
/// length 2^n; bit 3: table entries from the input, else i % 4), u32 hash types, u8 key length
/// (mod 41) and the key, the table entries (u16 each, when from the input), u16 unclassified queue,
/// then the frame (the rest of the input, at most <paramref name="maxFrameBytes"/>).
/// </summary>
public sealed record RssCase(RssConfiguration Configuration, byte[] Frame)
{
    public static RssCase Read(ReadOnlySpan<byte> input, int maxFrameBytes)
    {
        var reader = new FuzzReader(input);
        byte shape = reader.U8();
        var types = (VirtioNetHashTypes)reader.U32();
        byte[] key = reader.Bytes(reader.U8() % (RssConfiguration.MaxKeyBytes + 1)).ToArray();
        var table = new ushort[1 << (shape & 7)];
        bool tableFromInput = (shape & 8) != 0;
        for (int i = 0; i < table.Length; i++)
        {
            table[i] = tableFromInput ? reader.U16() : (ushort)(i % 4);
        }
        ushort unclassified = reader.U16();
        ReadOnlySpan<byte> frame = reader.Rest();
        var configuration = new RssConfiguration
        {
            HashTypes = types,
            Key = key,
            IndirectionTable = table,
            UnclassifiedQueue = unclassified,
        };
        return new RssCase(configuration, frame[..Math.Min(frame.Length, maxFrameBytes)].ToArray());
    }

    /// <summary>The input that reads back as this case (seed corpora).</summary>
    public static byte[] Write(RssConfiguration configuration, ReadOnlySpan<byte> frame)
    {
        int exponent = System.Numerics.BitOperations.Log2((uint)configuration.IndirectionTable.Length);
        var input = new FuzzInputBuilder().U8(exponent | 8).U32((uint)configuration.HashTypes)
            .U8(configuration.Key.Length).Bytes(configuration.Key);
        foreach (ushort queue in configuration.IndirectionTable) input.U16(queue);
        return input.U16(configuration.UnclassifiedQueue).Bytes(frame).ToArray();
    }
}
