using System.Buffers.Binary;

namespace MiniVmm.Testing;

/// <summary>Control queue commands as a driver lays them out (virtio 1.2 §5.1.6.5), one part per descriptor.</summary>
public static class VirtioNetCommands
{
    /// <summary>VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET(pairs), in one descriptor.</summary>
    public static byte[][] PairsSet(ushort pairs) => [[4, 0, (byte)pairs, (byte)(pairs >> 8)]];

    /// <summary>RSS_CONFIG in four descriptors, as Linux sends it (header, table, max_tx_vq + key length, key).</summary>
    public static byte[][] RssConfig(uint hashTypes, ushort[] table, ushort unclassified, ushort maxTxVq, byte[] key)
    {
        var head = new byte[2 + 8];
        head[0] = 4; head[1] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(2), hashTypes);
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(6), (ushort)(table.Length - 1));
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(8), unclassified);
        var tableBytes = new byte[2 * table.Length];
        for (int i = 0; i < table.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(tableBytes.AsSpan(2 * i), table[i]);
        }
        var middle = new byte[3];
        BinaryPrimitives.WriteUInt16LittleEndian(middle, maxTxVq);
        middle[2] = (byte)key.Length;
        return [head, tableBytes, middle, key];
    }
}
