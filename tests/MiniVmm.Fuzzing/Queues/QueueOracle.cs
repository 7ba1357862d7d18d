using System.Buffers.Binary;
using MiniVmm.Rss;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Fuzzing.Queues;

/// <summary>
/// The queue target's checks of one round, from the memory image before and after it and what the
/// pair returned: the device writes only into posted device-writable buffers of valid chains and the
/// used ring; it consumes only valid chains of the queue's kind and fails exactly at the first one
/// that is not (with that chain's reason); its used elements name the consumed heads in order with
/// lengths within their buffers (0 on transmit); and the bytes it moves are the packets' bytes
/// (receive: header then frame across num_buffers chains; transmit: the chain's frame, as the back end got it).
/// </summary>
public sealed class QueueOracle(QueueCase c, QueueRoundView view, int guestHeaderBytes, bool mergeable)
{
    private static readonly VirtioError[] s_walkErrors =
        [VirtioError.DescriptorIndexOutOfRange, VirtioError.ChainTooLong, VirtioError.BadIndirectDescriptor, VirtioError.AddressOutsideMemory, VirtioError.BadChainLayout];

    public void CheckWrites(ReadOnlySpan<byte> before, ReadOnlySpan<byte> after)
    {
        int i = 0;
        while (true)
        {
            i += before[i..].CommonPrefixLength(after[i..]);
            if (i >= before.Length) return;
            ulong address = (ulong)i;
            if (!view.Allowed.Any(r => r.Contains(address)))
            {
                throw new OracleViolationException($"the device changed byte 0x{i:x} (0x{before[i]:x2} -> 0x{after[i]:x2}), outside every posted device-writable buffer and the used ring");
            }
            i++;
        }
    }

    /// <summary>Which chains the device took, and why it stopped, against the reference walk.</summary>
    public void CheckConsumption(ushort consumed, VirtioFailure? failure, bool stoppedEmpty, int budget)
    {
        VirtioError? reason = failure?.Reason;
        if (view.Pending > view.Size)
        {
            // §2.7.13.3: more outstanding than the queue holds can only be a driver error; the first pop must say so.
            Check(reason is null or VirtioError.AvailIndexAhead && consumed == 0, $"avail idx is {view.Pending} ahead in a queue of {view.Size}: consumed {consumed}, failure {failure}");
            Check(!c.IsTransmit || reason == VirtioError.AvailIndexAhead, $"transmit with avail idx {view.Pending} ahead in a queue of {view.Size} did not fail");
            return;
        }
        Check(consumed <= view.Pending, $"consumed {consumed} chains, only {view.Pending} were available");
        bool badShapeLast = reason == VirtioError.BadChainForQueue;
        for (int k = 0; k < consumed; k++)
        {
            ReferenceChain chain = view.Chains[k];
            if (!chain.IsValid) throw new OracleViolationException($"consumed chain {k} (head {chain.Head}), which breaks {chain.Error}");
            bool last = k == consumed - 1;
            if (FitsQueue(chain) == (badShapeLast && last))
            {
                throw new OracleViolationException(badShapeLast && last
                    ? $"failed BadChainForQueue on chain {k} (head {chain.Head}), which fits the queue"
                    : $"consumed chain {k} (head {chain.Head}), {chain.ReadableBytes} readable and {chain.WritableBytes} writable bytes, unfit for this queue");
            }
        }
        if (reason is VirtioError r && s_walkErrors.Contains(r))
        {
            Check(consumed < view.Chains.Count, $"failed {r} past the last available chain");
            ReferenceChain at = view.Chains[consumed];
            Check(at.Error == r, $"failed {r} at chain {consumed} (head {at.Head}), whose reference reading is {(at.Error?.ToString() ?? "valid")}");
        }
        else if (reason is VirtioError other)
        {
            Check(other == VirtioError.BadChainForQueue && consumed > 0, $"unexpected failure {failure} after consuming {consumed} chains");
        }
        else if (c.IsTransmit)
        {
            int expected = stoppedEmpty ? view.Pending : Math.Min(Math.Min(budget, view.Size), view.Pending);
            Check(consumed == expected, $"transmit consumed {consumed} chains, expected {expected} ({view.Pending} pending, budget {budget}, {(stoppedEmpty ? "stopped empty" : "budget used")})");
        }
    }

    /// <summary>The used elements added this round: heads in consumption order, lengths within the buffers; returns their lengths.</summary>
    public uint[] CheckUsed(ReadOnlySpan<byte> after, ushort nextUsed, ushort usedCount, ushort consumed, bool failed)
    {
        Check(usedCount <= consumed && (failed || usedCount == consumed), $"{usedCount} used elements for {consumed} consumed chains (failed: {failed})");
        var lengths = new uint[usedCount];
        for (int k = 0; k < usedCount; k++)
        {
            int element = c.UsedRing + 4 + 8 * ((nextUsed + k) & (c.Size - 1));
            uint id = BinaryPrimitives.ReadUInt32LittleEndian(after[element..]);
            uint length = BinaryPrimitives.ReadUInt32LittleEndian(after[(element + 4)..]);
            ReferenceChain chain = view.Chains[k];
            if (id != chain.Head) throw new OracleViolationException($"used element {k} names head {id}, the chain consumed there has head {chain.Head}");
            if (c.IsTransmit ? length != 0 : length == 0 || length > chain.WritableBytes)
            {
                throw new OracleViolationException($"used element {k} (head {id}) has len {length}; the chain has {chain.WritableBytes} writable bytes");
            }
            lengths[k] = length;
        }
        return lengths;
    }

    /// <summary>Receive: each packet reassembled from its chains is a packet the back end gave, in order, header fields as the spec says.</summary>
    public void CheckReceived(ReadOnlySpan<byte> after, uint[] lengths, List<byte[]> injected, ref int cursor, RssConfiguration? rss, int backendHeaderBytes)
    {
        for (int k = 0; k < lengths.Length;)
        {
            byte[] first = view.Chains[k].GatherWritable(after, lengths[k]);
            Check(first.Length >= guestHeaderBytes, $"packet at used element {k} is {first.Length} bytes, shorter than the {guestHeaderBytes}-byte header");
            int buffers = BinaryPrimitives.ReadUInt16LittleEndian(first.AsSpan(VirtioNetHeader.NumBuffersOffset));
            Check(buffers >= 1 && k + buffers <= lengths.Length && (mergeable || buffers == 1),
                $"num_buffers {buffers} at used element {k} of {lengths.Length} (mergeable: {mergeable})");
            var stream = new List<byte>(first);
            for (int b = 1; b < buffers; b++) stream.AddRange(view.Chains[k + b].GatherWritable(after, lengths[k + b]));
            byte[] frame = [.. stream.Skip(guestHeaderBytes)];
            int start = cursor;
            while (cursor < injected.Count && !injected[cursor].AsSpan(backendHeaderBytes).SequenceEqual(frame)) cursor++;
            Check(cursor < injected.Count, $"the packet at used element {k} ({frame.Length}-byte frame) is none of the back end's packets {start}..{injected.Count - 1} in order");
            cursor++;
            if (guestHeaderBytes == VirtioNetHeader.HashBytes)
            {
                RxHash hash = VirtioNetHeader.ReadHash([.. stream]);
                // §5.1.6.4.3: the device reports only hash types the driver enabled; NONE carries hash 0.
                bool enabled = hash.Report == VirtioNetHashReport.None ? hash.Value == 0
                    : rss is not null && (RssHasher.TypeOf(hash.Report) & rss.HashTypes) != 0;
                Check(enabled, $"packet at used element {k} reports {hash}, not enabled by {rss?.HashTypes.ToString() ?? "no configuration"}");
            }
            k += buffers;
        }
    }

    /// <summary>Transmit: each packet the back end got is a consumed chain's frame (in order) behind a header with num_buffers and the hash fields zero.</summary>
    public void CheckTransmitted(ReadOnlySpan<byte> before, List<byte[]> sent, ushort consumed, int backendHeaderBytes)
    {
        int k = 0;
        foreach (byte[] packet in sent)
        {
            Check(packet.Length >= backendHeaderBytes && packet.AsSpan(VirtioNetHeader.NumBuffersOffset, backendHeaderBytes - VirtioNetHeader.NumBuffersOffset).IndexOfAnyExcept((byte)0) < 0,
                $"a transmitted packet's header has num_buffers or hash bytes set: {Convert.ToHexString(packet.AsSpan(0, Math.Min(packet.Length, backendHeaderBytes)))}");
            ReadOnlySpan<byte> frame = packet.AsSpan(backendHeaderBytes);
            while (k < consumed && !view.Chains[k].GatherReadable(before).AsSpan(guestHeaderBytes).SequenceEqual(frame)) k++;
            Check(k < consumed, $"the back end got a {frame.Length}-byte frame that is no consumed chain's, in order");
            k++;
        }
    }

    private bool FitsQueue(ReferenceChain chain) => c.IsTransmit
        ? chain.WritableBytes == 0 && chain.ReadableBytes >= (ulong)guestHeaderBytes // §5.1.6.2: header and packet, device-readable
        : chain.ReadableBytes == 0 && chain.WritableBytes > 0;                      // §5.1.6.3: receive buffers are device-writable

    private static void Check(bool condition, string message)
    {
        if (!condition) throw new OracleViolationException(message);
    }
}
