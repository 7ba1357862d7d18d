using System.Buffers.Binary;
using System.Numerics;
using MiniVmm.Rss;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Fuzzing.Control;

/// <summary>
/// The control target's own reading of a command (virtio 1.2 §5.1.6.5.5-7), written apart from the
/// device's parser: whether a device must accept it, and the steering it then sets. Where the spec
/// leaves the device a choice, the model takes the one docs/CORE.md and VirtioNetControlQueue state
/// (each marked "policy" below), so a difference is a bug of one side, never a matter of taste.
/// </summary>
public static class ControlModel
{
    private const byte ClassMq = 4, PairsSet = 0, RssConfig = 1, HashConfig = 2;
    private const uint SupportedHashTypes = 0x1FF; // supported_hash_types: every type of §5.1.6.4.3.1
    private const int MaxKey = 40, MaxTable = 128; // rss_max_key_size, rss_max_indirection_table_length

    /// <summary>The steering the command sets, or null when the device must answer VIRTIO_NET_ERR.</summary>
    public static SteeringState? Expect(ReadOnlySpan<byte> command, ControlCase c, SteeringState current)
    {
        // Policy: at least class and command, at most 1024 bytes (the longest valid command is 309).
        if (command.Length < 2 || command.Length > 1024 || command[0] != ClassMq) return null;
        ReadOnlySpan<byte> data = command[2..];
        return command[1] switch
        {
            PairsSet when c.Mq => Pairs(data, c, current),
            RssConfig when c.Rss => Rss(data, c, current),
            HashConfig when c.HashReport => Hash(data, current),
            _ => null,
        };
    }

    /// <summary>§5.1.6.5.5: le16 virtqueue_pairs, 1..max_virtqueue_pairs (policy: exactly two bytes).</summary>
    private static SteeringState? Pairs(ReadOnlySpan<byte> data, ControlCase c, SteeringState current)
    {
        if (data.Length != 2) return null;
        int pairs = BinaryPrimitives.ReadUInt16LittleEndian(data);
        if (pairs < 1 || pairs > c.Pairs) return null;
        // "the resulting device configuration is defined by the last command": automatic steering ends RSS;
        // a hash-only configuration (HASH_CONFIG) stays.
        return new SteeringState(current.SteeringEnabled ? null : current.Configuration, pairs, current.Generation + 1);
    }

    /// <summary>struct virtio_net_rss_config (§5.1.6.5.7.1).</summary>
    private static SteeringState? Rss(ReadOnlySpan<byte> data, ControlCase c, SteeringState current)
    {
        if (data.Length < 8) return null;
        uint types = BinaryPrimitives.ReadUInt32LittleEndian(data);
        int entries = BinaryPrimitives.ReadUInt16LittleEndian(data[4..]) + 1;
        ushort unclassified = BinaryPrimitives.ReadUInt16LittleEndian(data[6..]);
        // "indirection_table_mask + 1 MUST be a power of two", "less than rss_max_indirection_table_length".
        if (!BitOperations.IsPow2(entries) || entries > MaxTable || data.Length < 8 + 2 * entries + 3) return null;
        var table = new ushort[entries];
        int highest = unclassified;
        for (int i = 0; i < entries; i++)
        {
            table[i] = BinaryPrimitives.ReadUInt16LittleEndian(data[(8 + 2 * i)..]);
            highest = Math.Max(highest, table[i]);
        }
        int maxTxVq = BinaryPrimitives.ReadUInt16LittleEndian(data[(8 + 2 * entries)..]);
        int keyLength = data[8 + 2 * entries + 2];
        if (data.Length < 8 + 2 * entries + 3 + keyLength || !KeyAndTypes(types, keyLength)) return null;
        // Policy: max_tx_vq in 1..max_virtqueue_pairs (it only says how many transmit queues the driver may use).
        if (maxTxVq < 1 || maxTxVq > c.Pairs) return null;
        // "A driver MUST fill the indirection_table array only with indices of enabled queues"; policy: every
        // receive queue up to the highest named one is enabled (the host attaches that many TAP queues).
        if (highest >= c.Pairs) return null;
        for (int k = 0; k <= highest; k++)
        {
            if (!c.RxEnabled(k)) return null;
        }
        var configuration = new RssConfiguration
        {
            HashTypes = (VirtioNetHashTypes)types,
            Key = data.Slice(8 + 2 * entries + 3, keyLength).ToArray(),
            IndirectionTable = table,
            UnclassifiedQueue = unclassified,
            SteeringEnabled = true,
            MaxTxVq = (ushort)maxTxVq,
        };
        return new SteeringState(configuration, highest + 1, current.Generation + 1);
    }

    /// <summary>struct virtio_net_hash_config (§5.1.6.5.6.4): "Field reserved MUST contain zeroes".</summary>
    private static SteeringState? Hash(ReadOnlySpan<byte> data, SteeringState current)
    {
        if (data.Length < 13) return null;
        uint types = BinaryPrimitives.ReadUInt32LittleEndian(data);
        int keyLength = data[12];
        if (BinaryPrimitives.ReadUInt64LittleEndian(data[4..]) != 0 || data.Length < 13 + keyLength || !KeyAndTypes(types, keyLength)) return null;
        var configuration = new RssConfiguration
        {
            HashTypes = (VirtioNetHashTypes)types,
            Key = data.Slice(13, keyLength).ToArray(),
            IndirectionTable = [0],
            UnclassifiedQueue = 0,
            SteeringEnabled = false,
        };
        return new SteeringState(configuration, current.Pairs, current.Generation + 1);
    }

    /// <summary>"MUST NOT set any VIRTIO_NET_HASH_TYPE_ flags that are not supported"; a key of at most rss_max_key_size (policy: present whenever something is hashed).</summary>
    private static bool KeyAndTypes(uint types, int keyLength) =>
        (types & ~SupportedHashTypes) == 0 && keyLength <= MaxKey && (keyLength > 0 || types == 0);
}
