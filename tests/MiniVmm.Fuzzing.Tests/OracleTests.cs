using System.Buffers.Binary;
using MiniVmm.Fuzzing.Control;
using MiniVmm.Fuzzing.Queues;
using MiniVmm.Fuzzing.Rss;
using MiniVmm.Memory;
using MiniVmm.Rss;
using MiniVmm.Testing;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Fuzzing.Tests;

/// <summary>The oracles themselves: each must catch what it claims to, or a passing fuzz run proves nothing.</summary>
public sealed class OracleTests
{
    private static readonly GuestAddress Desc = new(0), Avail = new(0x1000), Used = new(0x2000), Buffer = new(0x3000);

    [Fact]
    public void ReferenceWalk_NamesTheFirstRuleAChainBreaks()
    {
        var memory = new ArrayGuestMemory(SplitQueueTarget.MemoryBytes);
        var driver = new VirtqueueDriver(memory, 8, Desc, Avail, Used);
        driver.WriteDescriptor(0, Buffer.Value, 64, 1 | 2, 1); // NEXT | WRITE, to 1
        driver.WriteDescriptor(1, Buffer.Value, 64, 1 | 2, 0); // and back: a loop
        driver.WriteDescriptor(2, Buffer.Value, 64, 1 | 2, 3);
        driver.WriteDescriptor(3, Buffer.Value, 64, 0, 0);     // readable after writable
        driver.WriteDescriptor(4, Buffer.Value, 64, 1, 8);     // next past the queue
        driver.WriteDescriptor(5, (ulong)SplitQueueTarget.MemoryBytes - 8, 64, 2, 0);
        ReadOnlySpan<byte> image = memory.GetSpan(new GuestAddress(0), SplitQueueTarget.MemoryBytes);

        Assert.Equal(VirtioError.ChainTooLong, ReferenceWalk.Walk(image, 0, 8, 0, false).Error);
        Assert.Equal(VirtioError.BadChainLayout, ReferenceWalk.Walk(image, 0, 8, 2, false).Error);
        Assert.Equal(VirtioError.DescriptorIndexOutOfRange, ReferenceWalk.Walk(image, 0, 8, 4, false).Error);
        Assert.Equal(VirtioError.AddressOutsideMemory, ReferenceWalk.Walk(image, 0, 8, 5, false).Error);
        Assert.Equal(VirtioError.DescriptorIndexOutOfRange, ReferenceWalk.Walk(image, 0, 8, 8, false).Error);
    }

    [Fact]
    public void QueueOracle_AWriteOutsidePostedBuffers_IsAViolation_AndOneInside_IsNot()
    {
        var memory = new ArrayGuestMemory(SplitQueueTarget.MemoryBytes);
        var driver = new VirtqueueDriver(memory, 8, Desc, Avail, Used);
        driver.AddChain((Buffer, 256, true));
        byte[] before = memory.GetSpan(new GuestAddress(0), SplitQueueTarget.MemoryBytes).ToArray();
        QueueCase c = QueueCase.Read(new FuzzInputBuilder().U16(0).U8(3).U16((int)Desc.Value).U16((int)Avail.Value).U16((int)Used.Value).U16(0).ToArray());
        var view = new QueueRoundView(before, c, 0, indirect: false);
        var oracle = new QueueOracle(c, view, VirtioNetHeader.Bytes, mergeable: false);

        byte[] inside = (byte[])before.Clone();
        inside[Buffer.Value + 255] = 1;
        inside[Used.Value + 2] = 1;
        oracle.CheckWrites(before, inside);
        byte[] outside = (byte[])before.Clone();
        outside[Buffer.Value + 256] = 1;
        Assert.Throws<OracleViolationException>(() => oracle.CheckWrites(before, outside));
        Assert.False(view.SelfModifying);
    }

    [Fact]
    public void ControlModel_AcceptsLinux61sRssConfig_AndRoundTripsIt()
    {
        // Linux 6.1 sends max_tx_vq = 1 on a one-CPU guest whatever the pairs (shared VHOST-USER.md).
        ushort[] table = [0, 1, 2, 3];
        byte[] key = [.. Enumerable.Range(0, 40).Select(i => (byte)i)];
        var command = new FuzzInputBuilder().U8(4).U8(1).U32(0x1FF).U16(3).U16(3);
        foreach (ushort q in table) command.U16(q);
        byte[] bytes = command.U16(1).U8(40).Bytes(key).ToArray();
        ControlCase c = ControlCase.Read([3, 0xFF, 0x07, 6]); // 4 pairs, all enabled, MQ | RSS | HASH_REPORT

        SteeringState? expected = ControlModel.Expect(bytes, c, SteeringState.Initial);

        Assert.NotNull(expected);
        Assert.Equal(4, expected.Pairs);
        Assert.Equal(table, expected.Configuration!.IndirectionTable);
        Assert.Equal(key, expected.Configuration.Key);
        Assert.Equal((ushort)3, expected.Configuration.UnclassifiedQueue);
        Assert.Equal((ushort)1, expected.Configuration.MaxTxVq);
        bytes[6] = 2; // indirection_table_mask 2: three entries, not a power of two
        Assert.Null(ControlModel.Expect(bytes, c, SteeringState.Initial));
    }

    [Fact]
    public void ControlModel_RejectsHashConfigWithReservedBits_AndAnyOtherClass()
    {
        ControlCase c = ControlCase.Read([3, 0xFF, 0x07, 6]);
        byte[] hash = new FuzzInputBuilder().U8(4).U8(2).U32(0x7).U64(0).U8(4).Bytes([1, 2, 3, 4]).ToArray();
        Assert.NotNull(ControlModel.Expect(hash, c, SteeringState.Initial));
        hash[8] = 1;
        Assert.Null(ControlModel.Expect(hash, c, SteeringState.Initial));
        Assert.Null(ControlModel.Expect([0, 0, 1], c, SteeringState.Initial)); // VIRTIO_NET_CTRL_RX: CTRL_RX is not offered
    }

    [Fact]
    public void CReference_HashesThePublishedVectors()
    {
        using var reference = new ToeplitzReferenceProcess();
        foreach (ToeplitzVector v in ToeplitzVectors.All)
        {
            Assert.Equal(v.HashAddressesOnly, reference.Hash(ToeplitzVectors.Key, v.InputAddressesOnly));
            Assert.Equal(v.HashWithPorts, reference.Hash(ToeplitzVectors.Key, v.InputWithPorts));
        }
    }

    [Fact]
    public void RangeOverlap_SeesOnlyOverlapsBetweenGroups()
    {
        Assert.False(RangeOverlap.BetweenGroups([(0, new ByteRange(0, 10)), (0, new ByteRange(5, 10)), (1, new ByteRange(15, 5))]));
        Assert.True(RangeOverlap.BetweenGroups([(0, new ByteRange(0, 10)), (1, new ByteRange(9, 1))]));
        Assert.True(RangeOverlap.BetweenGroups([(0, new ByteRange(0, 100)), (1, new ByteRange(10, 5)), (0, new ByteRange(50, 1))]));
        Assert.False(RangeOverlap.BetweenGroups([(0, new ByteRange(0, 10)), (1, new ByteRange(10, 0)), (1, new ByteRange(10, 4))]));
    }

    [Fact]
    public void Mutator_WithTheSameSeed_MakesTheSameInputs()
    {
        byte[] parent = [.. Enumerable.Range(0, 64).Select(i => (byte)i)], other = [9, 8, 7, 6, 5];
        var a = new Mutator(5);
        var b = new Mutator(5);
        var c = new Mutator(6);
        byte[][] fromA = [.. Enumerable.Range(0, 50).Select(_ => a.Mutate(parent, other))];
        byte[][] fromB = [.. Enumerable.Range(0, 50).Select(_ => b.Mutate(parent, other))];
        byte[][] fromC = [.. Enumerable.Range(0, 50).Select(_ => c.Mutate(parent, other))];
        Assert.Equal(fromA, fromB);
        Assert.NotEqual(fromA, fromC);
        Assert.Contains(fromA, m => !m.AsSpan().SequenceEqual(parent));
    }

    [Fact]
    public void RssCase_ReadsBackWhatItWrote()
    {
        RssConfiguration config = RssConfiguration.Spread(3, 16) with { Key = [1, 2, 3] };
        byte[] frame = [.. Enumerable.Range(0, 70).Select(i => (byte)(i * 3))];
        RssCase c = RssCase.Read(RssCase.Write(config, frame), 65535);
        Assert.Equal(config, c.Configuration);
        Assert.Equal(frame, c.Frame);
        Assert.Equal(0x1FFu, BinaryPrimitives.ReadUInt32LittleEndian(RssCase.Write(RssConfiguration.Spread(4), [])[1..]));
    }
}
