using System.Buffers.Binary;

namespace MiniVmm.Fuzzing.Control;

/// <summary>
/// Seeds of the control target: what Linux 6.1 sends (VQ_PAIRS_SET; RSS_CONFIG in four descriptors
/// with max_tx_vq 1 whatever the pairs; HASH_CONFIG), the same in one descriptor and indirect, and
/// commands of the classes the device does not offer (RX mode, MAC filter, announce).
/// </summary>
internal static class ControlSeeds
{
    public static IEnumerable<byte[]> Create()
    {
        byte[] key = [.. Enumerable.Range(1, 40).Select(i => (byte)(i * 37))];
        ushort[] spread4 = [.. Enumerable.Range(0, 128).Select(i => (ushort)(i % 4))];
        // 4 pairs, every receive queue enabled, MQ | RSS | HASH_REPORT | INDIRECT_DESC, 64 entries.
        yield return Case(3, 0xFF, 0x0F, 6, Command(0, 4, 0, Le16(4)), Command(0, 4, 1, Rss(0x1FF, spread4, 0, 1, key), 8, 264, 267));
        yield return Case(3, 0xFF, 0x0F, 6, Command(0, 4, 1, Rss(0x3F, [0, 1, 2, 3, 3, 2, 1, 0], 2, 4, key)), Command(0, 4, 0, Le16(2)));
        yield return Case(3, 0xFF, 0x0F, 6, Command(2, 4, 1, Rss(0x12, [1], 1, 1, key[..16]), 3, 10));
        yield return Case(5, 0xFF, 0x1F, 4, Command(0, 4, 2, Hash(0x1FF, key)), Command(0, 4, 0, Le16(16)));
        yield return Case(0, 0x01, 0x04, 2, Command(0, 4, 2, Hash(0x07, key[..8])));
        yield return Case(3, 0x03, 0x03, 6, Command(0, 4, 1, Rss(0x1FF, spread4, 0, 1, key)), Command(1 << 0, 4, 1, Rss(0x1FF, [0, 1], 0, 1, key)));
        yield return Case(1, 0xFF, 0x01, 6, Command(0, 0, 0, [1]), Command(0, 1, 0, [0, 0, 0, 0, 0, 0, 0, 0]), Command(0, 3, 0, []), Command(4 << 2, 4, 0, Le16(1)));
    }

    private static byte[] Case(int pairs, int enabled, int features, int sizeExponent, params byte[][] commands)
    {
        var input = new FuzzInputBuilder().U8(pairs).U8(enabled).U8(features).U8(sizeExponent);
        foreach (byte[] command in commands) input.Bytes(command);
        return input.ToArray();
    }

    private static byte[] Command(int shape, byte commandClass, byte command, byte[] data, params int[] cuts)
    {
        var input = new FuzzInputBuilder().U8(shape).U8(commandClass).U8(command).U16(data.Length).Bytes(data).U8(cuts.Length);
        foreach (int cut in cuts) input.U16(cut);
        return input.ToArray();
    }

    private static byte[] Le16(ushort value)
    {
        var b = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, value);
        return b;
    }

    private static byte[] Rss(uint types, ushort[] table, ushort unclassified, ushort maxTxVq, byte[] key)
    {
        var input = new FuzzInputBuilder().U32(types).U16(table.Length - 1).U16(unclassified);
        foreach (ushort q in table) input.U16(q);
        return input.U16(maxTxVq).U8(key.Length).Bytes(key).ToArray();
    }

    private static byte[] Hash(uint types, byte[] key) => new FuzzInputBuilder().U32(types).U64(0).U8(key.Length).Bytes(key).ToArray();
}
