using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

namespace MiniVmm.UnitTests.VirtioNet;

/// <summary>Control queue commands (virtio 1.2 §5.1.6.5), valid and invalid; each quotes the sentence it checks.</summary>
public class ControlQueueTests
{
    private const byte Ok = 0, Err = 1;
    private static readonly byte[] Key = Enumerable.Range(1, 40).Select(i => (byte)i).ToArray();

    /// <summary>Sends one command split over descriptors as given, then an ack byte; returns the ack.</summary>
    public static byte Send(NetTestRig rig, params byte[][] parts)
    {
        var buffers = new List<(GuestAddress, uint, bool)>();
        foreach (byte[] part in parts)
        {
            GuestAddress at = rig.Driver.Allocate((ulong)Math.Max(part.Length, 1));
            rig.Memory.Write(at, part);
            buffers.Add((at, (uint)part.Length, false));
        }
        GuestAddress ack = rig.Driver.Allocate(1);
        rig.Memory.Write(ack, [0xAA]);
        buffers.Add((ack, 1, true));
        rig.Control.AddChain([.. buffers]);
        rig.Driver.Notify(rig.Device.ControlQueueIndex);
        rig.ProcessControl();
        Assert.True(rig.Control.TryTakeUsed(out _, out uint length), "control command not answered");
        Assert.Equal(1u, length);
        return rig.Memory.GetSpan(ack, 1)[0];
    }

    /// <summary>RSS_CONFIG in four descriptors, as Linux sends it (header, table, max_tx_vq + key length, key).</summary>
    public static byte SendRss(NetTestRig rig, uint hashTypes, ushort mask, ushort[] table, ushort unclassified, ushort maxTxVq, byte[] key)
    {
        var head = new byte[2 + 8];
        head[0] = 4; head[1] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(head.AsSpan(2), hashTypes);
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(6), mask);
        BinaryPrimitives.WriteUInt16LittleEndian(head.AsSpan(8), unclassified);
        var tableBytes = new byte[2 * table.Length];
        for (int i = 0; i < table.Length; i++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(tableBytes.AsSpan(2 * i), table[i]);
        }
        var middle = new byte[3];
        BinaryPrimitives.WriteUInt16LittleEndian(middle, maxTxVq);
        middle[2] = (byte)key.Length;
        return Send(rig, head, tableBytes, middle, key);
    }

    internal static byte SendHash(NetTestRig rig, uint hashTypes, byte[] key, ulong reserved = 0)
    {
        var body = new byte[2 + 13 + key.Length];
        body[0] = 4; body[1] = 2;
        BinaryPrimitives.WriteUInt32LittleEndian(body.AsSpan(2), hashTypes);
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(6), reserved);
        body[14] = (byte)key.Length;
        key.CopyTo(body, 15);
        return Send(rig, body);
    }

    private static NetTestRig Started(params int[] extra)
    {
        var rig = new NetTestRig(new VirtioNetOptions { QueuePairs = 4 });
        rig.Start(NetTestRig.BaseFeatures(extra));
        return rig;
    }

    private static ushort[] Spread(int length, int pairs) => Enumerable.Range(0, length).Select(i => (ushort)(i % pairs)).ToArray();

    [Fact]
    public void VqPairsSet_Valid_ChangesActivePairsAndNotifies()
    {
        var rig = Started();
        // §5.1.6.5.5: "... specifying the number of the transmit and receive queues to be used up to max_virtqueue_pairs".
        Assert.Equal(Ok, Send(rig, [4, 0, 3, 0]));
        Assert.Equal(3, rig.Device.Steering.Pairs);
        // One steering change per command, carrying the new pairs (and no configuration: automatic steering).
        SteeringState applied = Assert.Single(rig.Host.Applied);
        Assert.Equal((null, 3), (applied.Configuration, applied.Pairs));
    }

    [Fact]
    public void VqPairsSet_Zero_IsRejected()
    {
        var rig = Started();
        // "The driver MUST NOT request a virtqueue_pairs of 0 or greater than max_virtqueue_pairs in the device configuration space."
        Assert.Equal(Err, Send(rig, [4, 0, 0, 0]));
        Assert.Equal(1, rig.Device.Steering.Pairs);
    }

    [Fact]
    public void VqPairsSet_AboveMax_IsRejected()
    {
        var rig = Started();
        // "The driver MUST NOT request a virtqueue_pairs of 0 or greater than max_virtqueue_pairs in the device configuration space."
        Assert.Equal(Err, Send(rig, [4, 0, 5, 0]));
        Assert.Equal(1, rig.Device.Steering.Pairs);
    }

    [Fact]
    public void VqPairsSet_WrongLength_IsRejected()
    {
        var rig = Started();
        // struct virtio_net_ctrl_mq_pairs_set { le16 virtqueue_pairs; }: exactly two bytes.
        Assert.Equal(Err, Send(rig, [4, 0, 2]));
    }

    [Fact]
    public void AfterReset_OnlyReceiveq1IsUsed()
    {
        var rig = Started();
        Assert.Equal(Ok, Send(rig, [4, 0, 4, 0]));
        // "After initialization of reset, the device MUST queue packets only on receiveq1."
        rig.Queues.Clear();
        rig.Start(NetTestRig.BaseFeatures());
        Assert.Equal(1, rig.Device.Steering.Pairs);
    }

    [Fact]
    public void RssConfig_InFourDescriptors_IsGatheredAndApplied()
    {
        var rig = Started(VirtioNetFeature.Rss);
        ushort[] table = Spread(128, 4);
        Assert.Equal(Ok, SendRss(rig, 0x1FF, 127, table, unclassified: 2, maxTxVq: 4, Key));
        RssConfiguration rss = Assert.IsType<RssConfiguration>(rig.Device.Steering.Configuration);
        SteeringState applied = Assert.Single(rig.Host.Applied);
        Assert.Same(rss, applied.Configuration);
        Assert.Equal(VirtioNetHashTypes.All, rss.HashTypes);
        Assert.Equal(table, rss.IndirectionTable);
        Assert.Equal(Key, rss.Key);
        Assert.Equal(2, rss.UnclassifiedQueue);
        Assert.True(rss.SteeringEnabled);
        Assert.Equal(4, rss.MaxTxVq);
        // "A driver MUST fill the indirection_table array only with enabled receive virtqueues ids":
        // the receive pairs in use are the ones the table names.
        Assert.Equal(4, rig.Device.Steering.Pairs);
        Assert.Equal(4, applied.Pairs);
    }

    [Fact]
    public void RssConfig_InOneDescriptor_IsAccepted()
    {
        var rig = Started(VirtioNetFeature.Rss);
        var body = new List<byte> { 4, 1 };
        body.AddRange(BitConverter.GetBytes(0x12u)); body.AddRange(BitConverter.GetBytes((ushort)0)); body.AddRange(BitConverter.GetBytes((ushort)0));
        body.AddRange(BitConverter.GetBytes((ushort)0)); body.AddRange(BitConverter.GetBytes((ushort)1)); body.Add(40); body.AddRange(Key);
        Assert.Equal(Ok, Send(rig, body.ToArray()));
        Assert.Equal([(ushort)0], rig.Device.Steering.Configuration!.IndirectionTable);
    }

    [Fact]
    public void RssConfig_TableNotAPowerOfTwo_IsRejected()
    {
        var rig = Started(VirtioNetFeature.Rss);
        // "The number of entries in indirection_table (indirection_table_mask + 1) MUST be a power of two."
        Assert.Equal(Err, SendRss(rig, 0x1FF, 5, Spread(6, 4), 0, 4, Key));
        Assert.Null(rig.Device.Steering.Configuration);
    }

    [Fact]
    public void RssConfig_TableLongerThanTheMaximum_IsRejected()
    {
        var rig = Started(VirtioNetFeature.Rss);
        // "A driver MUST use indirection_table_mask values that are less than rss_max_indirection_table_length reported by a device."
        Assert.Equal(Err, SendRss(rig, 0x1FF, 255, Spread(256, 4), 0, 4, Key));
        Assert.Null(rig.Device.Steering.Configuration);
    }

    [Fact]
    public void RssConfig_EntryNamingAReceiveQueueTheDriverDidNotEnable_IsRejected()
    {
        var rig = new NetTestRig(new VirtioNetOptions { QueuePairs = 4 });
        // The driver sets up pairs 0 and 1 (queues 0-3) and the control queue only.
        rig.Start(NetTestRig.BaseFeatures(VirtioNetFeature.Rss), skipQueues: [4, 5, 6, 7]);
        // "A driver MUST fill the indirection_table array only with enabled receive virtqueues ids."
        Assert.Equal(Err, SendRss(rig, 0x1FF, 3, [0, 1, 2, 3], 0, maxTxVq: 4, Key));
        Assert.Null(rig.Device.Steering.Configuration);
        Assert.Equal(Ok, SendRss(rig, 0x1FF, 3, [0, 1, 1, 0], 0, maxTxVq: 4, Key));
        Assert.Equal(2, rig.Device.Steering.Pairs);
    }

    [Fact]
    public void RssConfig_EntryBeyondTheDevicesQueues_IsRejected()
    {
        var rig = Started(VirtioNetFeature.Rss);
        // Queue 4 does not exist on a device with max_virtqueue_pairs = 4.
        Assert.Equal(Err, SendRss(rig, 0x1FF, 3, [0, 1, 2, 4], 0, maxTxVq: 4, Key));
        Assert.Null(rig.Device.Steering.Configuration);
        Assert.Equal(1, rig.Device.Steering.Pairs);
    }

    [Fact]
    public void RssConfig_UnclassifiedQueueBeyondThePairs_IsRejected()
    {
        var rig = Started(VirtioNetFeature.Rss);
        // "Field unclassified_queue specifies the receive virtqueue id in which to place unclassified packets": it must exist.
        Assert.Equal(Err, SendRss(rig, 0x1FF, 3, [0, 1, 0, 1], unclassified: 4, maxTxVq: 2, Key));
        Assert.Null(rig.Device.Steering.Configuration);
    }

    [Fact]
    public void RssConfig_UnclassifiedQueueCountsAsAReceiveQueueInUse()
    {
        var rig = Started(VirtioNetFeature.Rss);
        Assert.Equal(Ok, SendRss(rig, 0x1FF, 3, [0, 1, 0, 1], unclassified: 2, maxTxVq: 1, Key));
        Assert.Equal(3, rig.Device.Steering.Pairs);
    }

    [Fact]
    public void RssConfig_ZeroMaxTxVq_IsRejected()
    {
        var rig = Started(VirtioNetFeature.Rss);
        // Never 0 pairs: max_tx_vq follows the bounds of virtqueue_pairs (1..max_virtqueue_pairs).
        Assert.Equal(Err, SendRss(rig, 0x1FF, 0, [0], 0, maxTxVq: 0, Key));
        Assert.Equal(Err, SendRss(rig, 0x1FF, 0, [0], 0, maxTxVq: 5, Key));
        Assert.Null(rig.Device.Steering.Configuration);
    }

    [Fact]
    public void RssConfig_KeyLongerThan40_IsRejected()
    {
        var rig = Started(VirtioNetFeature.Rss);
        // rss_max_key_size is 40: a longer hash_key_length cannot be honoured.
        Assert.Equal(Err, SendRss(rig, 0x1FF, 0, [0], 0, 1, new byte[41]));
        Assert.Null(rig.Device.Steering.Configuration);
    }

    [Fact]
    public void RssConfig_UnsupportedHashType_IsRejected()
    {
        var rig = Started(VirtioNetFeature.Rss);
        // "A driver MUST NOT set any VIRTIO_NET_HASH_TYPE_ flags that are not supported by a device."
        Assert.Equal(Err, SendRss(rig, 0x200, 0, [0], 0, 1, Key));
        Assert.Null(rig.Device.Steering.Configuration);
    }

    [Fact]
    public void RssConfig_Truncated_IsRejected()
    {
        var rig = Started(VirtioNetFeature.Rss);
        Assert.Equal(Err, Send(rig, [4, 1, 0xFF, 1, 0, 0, 3, 0, 0, 0]));
        Assert.Null(rig.Device.Steering.Configuration);
    }

    [Fact]
    public void RssConfig_WithoutTheFeature_IsRejected()
    {
        var rig = Started();
        // "A driver MUST NOT send the VIRTIO_NET_CTRL_MQ_RSS_CONFIG command if the feature VIRTIO_NET_F_RSS has not been negotiated."
        Assert.Equal(Err, SendRss(rig, 0x1FF, 0, [0], 0, 1, Key));
    }

    [Fact]
    public void RejectedRssConfig_KeepsThePreviousOne()
    {
        var rig = Started(VirtioNetFeature.Rss);
        Assert.Equal(Ok, SendRss(rig, 0x1FF, 1, [0, 1], 0, 2, Key));
        RssConfiguration? before = rig.Device.Steering.Configuration;
        Assert.Equal(Err, SendRss(rig, 0x1FF, 1, [0, 7], 0, 2, Key));
        Assert.Same(before, rig.Device.Steering.Configuration);
        Assert.Equal(2, rig.Device.Steering.Pairs);
    }

    [Fact]
    public void HashConfig_Valid_EnablesHashOnly()
    {
        var rig = Started(VirtioNetFeature.HashReport);
        Assert.Equal(Ok, SendHash(rig, 0x3F, Key));
        RssConfiguration rss = Assert.IsType<RssConfiguration>(rig.Device.Steering.Configuration);
        Assert.False(rss.SteeringEnabled);
        Assert.Equal((VirtioNetHashTypes)0x3F, rss.HashTypes);
        Assert.Equal(Key, rss.Key);
    }

    [Fact]
    public void HashConfig_NonZeroReserved_IsRejected()
    {
        var rig = Started(VirtioNetFeature.HashReport);
        // "Field reserved MUST contain zeroes."
        Assert.Equal(Err, SendHash(rig, 0x3F, Key, reserved: 1UL << 40));
        Assert.Null(rig.Device.Steering.Configuration);
    }

    [Fact]
    public void HashConfig_WithoutHashReport_IsRejected()
    {
        var rig = Started();
        // "If VIRTIO_NET_F_HASH_REPORT was negotiated and the device uses automatic receive steering, the device MUST support a command to configure hash calculation parameters."
        Assert.Equal(Err, SendHash(rig, 0x3F, Key));
    }

    [Fact]
    public void HashConfig_InitiallyAllHashTypesDisabled()
    {
        var rig = Started(VirtioNetFeature.HashReport);
        // "Initially the device has all hash types disabled and reports only VIRTIO_NET_HASH_REPORT_NONE."
        Assert.Null(rig.Device.Steering.Configuration);
    }

    [Fact]
    public void VqPairsSetAfterRss_SwitchesBackToAutomaticSteering()
    {
        var rig = Started(VirtioNetFeature.Rss);
        Assert.Equal(Ok, SendRss(rig, 0x1FF, 1, [0, 1], 0, 2, Key));
        // "If more than one multiqueue mode is negotiated, the resulting device configuration is defined by the last command sent by the driver."
        Assert.Equal(Ok, Send(rig, [4, 0, 3, 0]));
        Assert.Null(rig.Device.Steering.Configuration);
        Assert.Equal(3, rig.Device.Steering.Pairs);
    }

    [Theory]
    [InlineData(0, 0)] // VIRTIO_NET_CTRL_RX_PROMISC
    [InlineData(1, 1)] // VIRTIO_NET_CTRL_MAC_ADDR_SET
    [InlineData(2, 0)] // VIRTIO_NET_CTRL_VLAN_ADD
    [InlineData(3, 0)] // VIRTIO_NET_CTRL_ANNOUNCE_ACK
    [InlineData(5, 0)] // VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET
    [InlineData(4, 9)] // unknown MQ command
    [InlineData(77, 0)] // unknown class
    public void ClassesWhoseFeaturesAreNotOffered_AnswerErr(byte commandClass, byte command)
    {
        var rig = Started();
        // §5.1.6.5: CTRL_RX, CTRL_MAC_ADDR, CTRL_VLAN, GUEST_ANNOUNCE and CTRL_GUEST_OFFLOADS are not offered,
        // so their commands are answered VIRTIO_NET_ERR.
        Assert.Equal(Err, Send(rig, [commandClass, command, 1, 0, 0, 0, 0, 0]));
        Assert.False(rig.NeedsReset);
    }
}
