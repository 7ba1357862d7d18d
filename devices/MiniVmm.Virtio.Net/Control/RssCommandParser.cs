using System.Buffers.Binary;
using System.Numerics;
using MiniVmm.Rss;

namespace MiniVmm.Virtio.Net.Control;

/// <summary>
/// Parses and validates struct virtio_net_rss_config and struct virtio_net_hash_config
/// (virtio 1.2 §5.1.6.5.6.4, §5.1.6.5.7.1). Returns no configuration for anything invalid. Whether
/// the queues it names are enabled is the control queue's question (it knows the device's queues).
/// </summary>
internal static class RssCommandParser
{
    private static readonly RssConfiguration? Invalid = null;

    /// <summary>
    /// hash_types le32, indirection_table_mask le16, unclassified_queue le16,
    /// indirection_table[mask + 1] le16, max_tx_vq le16, hash_key_length u8, hash_key_data.
    /// </summary>
    public static RssConfiguration? ParseRss(ReadOnlySpan<byte> data, int maxPairs)
    {
        if (data.Length < 8)
        {
            return Invalid;
        }
        var hashTypes = (VirtioNetHashTypes)BinaryPrimitives.ReadUInt32LittleEndian(data);
        int tableLength = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]) + 1;
        ushort unclassified = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        // "The number of entries in indirection_table (indirection_table_mask + 1) MUST be a power of two."
        // "A driver MUST use indirection_table_mask values that are less than rss_max_indirection_table_length"
        if (!BitOperations.IsPow2(tableLength) || tableLength > RssConfiguration.MaxTableLength)
        {
            return Invalid;
        }
        int tableEnd = 8 + 2 * tableLength;
        if (data.Length < tableEnd + 3)
        {
            return Invalid;
        }
        int maxTxVq = BinaryPrimitives.ReadUInt16LittleEndian(data[tableEnd..]);
        int keyLength = data[tableEnd + 2];
        // max_tx_vq is how many transmit queues the driver may use: 1..max_virtqueue_pairs. Table entries
        // and unclassified_queue must name receive queues the device has.
        if (data.Length < tableEnd + 3 + keyLength || maxTxVq < 1 || maxTxVq > maxPairs
            || !KeyAndTypesValid(hashTypes, keyLength) || unclassified >= maxPairs)
        {
            return Invalid;
        }
        var table = new ushort[tableLength];
        for (int i = 0; i < tableLength; i++)
        {
            table[i] = BinaryPrimitives.ReadUInt16LittleEndian(data[(8 + 2 * i)..]);
            if (table[i] >= maxPairs)
            {
                return Invalid;
            }
        }
        var configuration = new RssConfiguration
        {
            HashTypes = hashTypes,
            Key = data.Slice(tableEnd + 3, keyLength).ToArray(),
            IndirectionTable = table,
            UnclassifiedQueue = unclassified,
            SteeringEnabled = true,
            MaxTxVq = (ushort)maxTxVq,
        };
        return configuration;
    }

    /// <summary>hash_types le32, reserved le16[4] (zero), hash_key_length u8, hash_key_data.</summary>
    public static RssConfiguration? ParseHash(ReadOnlySpan<byte> data)
    {
        if (data.Length < 13)
        {
            return Invalid;
        }
        var hashTypes = (VirtioNetHashTypes)BinaryPrimitives.ReadUInt32LittleEndian(data);
        // "Field reserved MUST contain zeroes."
        if (BinaryPrimitives.ReadUInt64LittleEndian(data[4..]) != 0)
        {
            return Invalid;
        }
        int keyLength = data[12];
        if (data.Length < 13 + keyLength || !KeyAndTypesValid(hashTypes, keyLength))
        {
            return Invalid;
        }
        var configuration = new RssConfiguration
        {
            HashTypes = hashTypes,
            Key = data.Slice(13, keyLength).ToArray(),
            IndirectionTable = [0],
            UnclassifiedQueue = 0,
            SteeringEnabled = false,
        };
        return configuration;
    }

    /// <summary>
    /// "A driver MUST NOT set any VIRTIO_NET_HASH_TYPE_ flags that are not supported by a device";
    /// the key is at most rss_max_key_size bytes, and present whenever something is hashed.
    /// </summary>
    private static bool KeyAndTypesValid(VirtioNetHashTypes hashTypes, int keyLength) =>
        (hashTypes & ~VirtioNetHashTypes.All) == 0
        && keyLength <= RssConfiguration.MaxKeyBytes
        && (keyLength > 0 || hashTypes == VirtioNetHashTypes.None);
}
