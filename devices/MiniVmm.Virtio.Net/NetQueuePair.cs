using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Rss;
using MiniVmm.Virtio.Queues;

namespace MiniVmm.Virtio.Net;

/// <summary>
/// The packet work of one queue pair (receiveq k, transmitq k). Everything it needs is passed in
/// (guest memory, the back-end queue, the RSS configuration in force) and every call returns what
/// happened; the caller (the pair's worker) sends the notifications, reports failures and decides
/// what to wait for. RX copies back-end packets into guest chains (§5.1.6.4), TX gathers guest
/// chains into back-end packets (§5.1.6.2). Buffers are allocated once; one thread calls at a time.
/// </summary>
public sealed class NetQueuePair
{
    /// <summary>The largest frame either way: 64 KiB of TSO payload plus Ethernet and VLAN headers.</summary>
    public const int MaxFrameBytes = 65536 + 18;

    /// <summary>Packets per call and direction, so one busy direction or queue never starves another.</summary>
    public const int DefaultBudget = 256;

    /// <summary>
    /// Transmit chains between two used->idx writes in one batch: a guest that reclaims while it
    /// sends (Linux, the probe) refills the ring behind the device instead of waiting for the batch.
    /// </summary>
    public const int TxPublishInterval = 32;

    /// <summary>Back-end read errors in a row (no packet between them) after which the pair fails.</summary>
    public const int MaxConsecutiveBackendErrors = 64;

    /// <summary>Bytes a port may use behind the largest packet in the buffer it is given (software steering's trailer).</summary>
    public const int PortScratchBytes = 16;

    /// <summary>The buffer every <see cref="INetBackendQueue.Read"/> gets: the largest packet with a 20-byte header, plus scratch.</summary>
    public const int RxBufferBytes = VirtioNetHeader.HashBytes + MaxFrameBytes + PortScratchBytes;

    private readonly byte[] _rxPacket = new byte[RxBufferBytes];
    private readonly byte[] _txPacket = new byte[VirtioNetHeader.HashBytes + MaxFrameBytes];
    private readonly ushort[] _mergeHeads;
    private readonly uint[] _mergeLengths;
    private int _rxPending;            // bytes of the packet waiting for guest buffers (header included), or 0
    private int _rxPendingHeaderBytes;
    private RxHash _rxPendingHash;
    private int _consecutiveErrors;
    private NegotiatedOffloads _offloads = NegotiatedOffloads.None;

    public NetQueuePair(int index, SplitQueue rx, SplitQueue tx)
    {
        Index = index;
        RxQueue = rx;
        TxQueue = tx;
        _mergeHeads = new ushort[rx.MaxSize];
        _mergeLengths = new uint[rx.MaxSize];
    }

    public int Index { get; }
    public SplitQueue RxQueue { get; }
    public SplitQueue TxQueue { get; }
    public int RxQueueIndex => 2 * Index;
    public int TxQueueIndex => 2 * Index + 1;

    public NetQueuePairCounters Counters { get; } = new();

    /// <summary>True while a received packet waits for the guest to post RX buffers.</summary>
    public bool HasPendingRx => _rxPending != 0;

    /// <summary>Takes the features the driver accepted (at DRIVER_OK) and forgets any packet in flight.</summary>
    public void Configure(ulong negotiatedFeatures)
    {
        _offloads = NegotiatedOffloads.From(negotiatedFeatures);
        Reset();
    }

    /// <summary>Forgets the packet in flight (device reset); counters stay.</summary>
    public void Reset()
    {
        _rxPending = 0;
        _consecutiveErrors = 0;
    }

    /// <summary>
    /// Moves back-end packets into the receive queue until the back end is empty, the guest has no
    /// buffers (the packet is kept for the next call) or <paramref name="budget"/> packets were handled.
    /// </summary>
    /// <param name="rss">The RSS or hash configuration in force, for the hash report; null: hashing off.</param>
    public RxOutcome ProcessRx(IGuestMemory memory, INetBackendQueue port, RssConfiguration? rss, int budget = DefaultBudget)
    {
        if (!RxQueue.IsEnabled)
        {
            return new RxOutcome(RxStop.NoGuestBuffers, 0, false);
        }
        int delivered = 0;
        RxStop stop = RxStop.BudgetUsed;
        try
        {
            for (; budget > 0; budget--)
            {
                if (_rxPending == 0)
                {
                    RxStop? readStop = ReadOne(port, rss);
                    if (readStop is RxStop s) { stop = s; break; }
                    if (_rxPending == 0) continue; // dropped
                }
                int result = TryDeliver(memory);
                if (result < 0) { stop = RxStop.NoGuestBuffers; break; }
                delivered += result;
                _rxPending = 0;
            }
        }
        catch (VirtioDeviceException e)
        {
            _rxPending = 0;
            return new RxOutcome(RxStop.Failed, delivered, false, new VirtioFailure(RxQueueIndex, e.Reason, $"receiveq{Index + 1}: {e.Message}"));
        }
        if (stop == RxStop.Failed)
        {
            return new RxOutcome(stop, delivered, false, new VirtioFailure(RxQueueIndex, VirtioError.BackendFailed,
                $"receiveq{Index + 1}: the back end failed {MaxConsecutiveBackendErrors} reads in a row"));
        }
        bool notify = delivered > 0 && RxQueue.NeedsNotification(memory);
        if (notify) Counters.RxNotifications++;
        return new RxOutcome(stop, delivered, notify);
    }

    /// <summary>
    /// Sends the chains the guest queued on the transmit queue, at most <paramref name="budget"/> and
    /// never more than the queue size in one call (so the used index never jumps past the ring).
    /// </summary>
    public TxOutcome ProcessTx(IGuestMemory memory, INetBackendQueue port, int budget = DefaultBudget)
    {
        if (!TxQueue.IsEnabled)
        {
            return new TxOutcome(TxStop.QueueEmpty, 0, false);
        }
        budget = Math.Min(budget, TxQueue.Size);
        int completed = 0;
        TxStop stop = TxStop.BudgetUsed;
        try
        {
            int backendBytes = port.HeaderBytes;
            while (completed < budget)
            {
                if (!TxQueue.TryPopChain(memory, out DescriptorChain chain)) { stop = TxStop.QueueEmpty; break; }
                if (chain.WritableBytes != 0 || chain.ReadableBytes < _offloads.HeaderBytes)
                {
                    // §5.1.6.2: a transmit chain is the header followed by the packet, all device-readable.
                    throw new VirtioDeviceException(VirtioError.BadChainForQueue,
                        $"transmit chain {chain.Head}: {chain.ReadableBytes} readable, {chain.WritableBytes} writable bytes");
                }
                if (!Transmit(memory, chain, port, backendBytes))
                {
                    TxQueue.UndoPop(1); // the back end is full: the same chain goes first next time
                    stop = TxStop.BackendFull;
                    break;
                }
                TxQueue.AddUsed(memory, chain.Head, 0);
                completed++;
                if (completed % TxPublishInterval == 0) TxQueue.PublishUsed(memory);
            }
            if (completed == 0)
            {
                return new TxOutcome(stop, 0, false);
            }
            TxQueue.PublishUsed(memory);
            bool notify = TxQueue.NeedsNotification(memory);
            if (notify) Counters.TxNotifications++;
            return new TxOutcome(stop, completed, notify);
        }
        catch (VirtioDeviceException e)
        {
            return new TxOutcome(TxStop.Failed, completed, false, new VirtioFailure(TxQueueIndex, e.Reason, $"transmitq{Index + 1}: {e.Message}"));
        }
    }

    /// <summary>Reads one packet into the pending slot; returns why to stop, or null to go on (the packet may have been dropped).</summary>
    private RxStop? ReadOne(INetBackendQueue port, RssConfiguration? rss)
    {
        int headerBytes = port.HeaderBytes;
        BackendResult r = port.Read(_rxPacket);
        switch (r.Status)
        {
            case BackendStatus.WouldBlock:
                return RxStop.BackendEmpty;
            case BackendStatus.Error:
                Counters.RxBackendErrors++;
                return ++_consecutiveErrors >= MaxConsecutiveBackendErrors ? RxStop.Failed : null;
            case BackendStatus.Dropped:
                _consecutiveErrors = 0;
                Counters.RxDroppedBackend++;
                return null;
        }
        _consecutiveErrors = 0;
        if (r.Bytes <= headerBytes || r.Bytes > headerBytes + MaxFrameBytes)
        {
            Counters.RxDroppedBackend++;
            return null;
        }
        if (!_offloads.AdjustReceiveHeader(_rxPacket))
        {
            Counters.RxDroppedOffloads++;
            return null;
        }
        _rxPending = r.Bytes;
        _rxPendingHeaderBytes = headerBytes;
        _rxPendingHash = _offloads.HashReport && rss is not null ? CheckedHash(port.HashOf(_rxPacket.AsSpan(0, r.Bytes), rss), rss) : RxHash.None;
        return null;
    }

    /// <summary>
    /// The back end is trusted to steer, not to write sane bytes: a report the guest did not enable
    /// (§5.1.6.4.3: the device reports only enabled types), a code above UDPv6_EX, or any code while
    /// hashing is off becomes NONE with hash 0 and is counted; the packet itself is still delivered.
    /// </summary>
    private RxHash CheckedHash(RxHash hash, RssConfiguration rss)
    {
        if (hash.Report == VirtioNetHashReport.None) return RxHash.None;
        ushort code = (ushort)hash.Report;
        // Report codes 1..9 name the hash types 1 << 0 .. 1 << 8 in the same order (§5.1.6.4.3.1).
        var type = code <= (ushort)VirtioNetHashReport.UdpV6Ex ? (VirtioNetHashTypes)(1u << (code - 1)) : VirtioNetHashTypes.None;
        if (type != VirtioNetHashTypes.None && (rss.HashTypes & type) != 0) return hash;
        Counters.RxHashReportsRejected++;
        return RxHash.None;
    }

    /// <summary>1: delivered; 0: dropped (the packet can never fit); -1: not enough buffers now.</summary>
    private int TryDeliver(IGuestMemory memory)
    {
        int guestHeaderBytes = _offloads.HeaderBytes;
        int frameBytes = _rxPending - _rxPendingHeaderBytes;
        ReadOnlySpan<byte> frame = _rxPacket.AsSpan(_rxPendingHeaderBytes, frameBytes);
        Span<byte> header = stackalloc byte[VirtioNetHeader.HashBytes];
        header.Clear();
        _rxPacket.AsSpan(0, VirtioNetHeader.OffloadBytes).CopyTo(header);
        if (_offloads.HashReport)
        {
            BinaryPrimitives.WriteUInt32LittleEndian(header[VirtioNetHeader.HashValueOffset..], _rxPendingHash.Value);
            BinaryPrimitives.WriteUInt16LittleEndian(header[VirtioNetHeader.HashReportOffset..], (ushort)_rxPendingHash.Report);
        }
        header = header[..guestHeaderBytes];
        uint total = (uint)(guestHeaderBytes + frameBytes);

        int chains = 0;
        uint written = 0;
        GuestAddress numBuffersLow = default, numBuffersHigh = default;
        while (written < total)
        {
            if (!RxQueue.TryPopChain(memory, out DescriptorChain chain))
            {
                RxQueue.UndoPop(chains);
                // Every buffer the ring can hold is posted and they still do not add up: this packet never fits.
                return chains == RxQueue.Size ? DropNeverFits() : -1;
            }
            if (chain.ReadableBytes != 0 || chain.WritableBytes == 0)
            {
                // §5.1.6.3: receive buffers are device-writable only.
                throw new VirtioDeviceException(VirtioError.BadChainForQueue,
                    $"receive chain {chain.Head}: {chain.ReadableBytes} readable, {chain.WritableBytes} writable bytes");
            }
            if (chains == 0 && (chain.WritableBytes < total && !_offloads.Mergeable || chain.WritableBytes < guestHeaderBytes))
            {
                // Without MRG_RXBUF the whole packet must fit one chain (§5.1.6.3.1); this one never will.
                RxQueue.UndoPop(1);
                return DropNeverFits();
            }
            uint take = Math.Min(chain.WritableBytes, total - written);
            WriteStream(memory, chain, header, frame, written, take);
            if (chains == 0)
            {
                numBuffersLow = AddressOf(chain, VirtioNetHeader.NumBuffersOffset);
                numBuffersHigh = AddressOf(chain, VirtioNetHeader.NumBuffersOffset + 1);
            }
            _mergeHeads[chains] = chain.Head;
            _mergeLengths[chains] = take;
            chains++;
            written += take;
        }
        // num_buffers: how many chains this packet used (§5.1.6.4: 1 without MRG_RXBUF).
        // Both bytes lie in the first chain's buffers, which were range-checked when it was popped.
        memory.GetSpan(numBuffersLow, 1)[0] = (byte)chains;
        memory.GetSpan(numBuffersHigh, 1)[0] = (byte)(chains >> 8);
        for (int i = 0; i < chains; i++)
        {
            RxQueue.AddUsed(memory, _mergeHeads[i], _mergeLengths[i]);
        }
        RxQueue.PublishUsed(memory);
        Counters.RxPackets++;
        Counters.RxBytes += (ulong)frameBytes;
        return 1;
    }

    private int DropNeverFits()
    {
        Counters.RxDroppedNeverFits++;
        return 0;
    }

    /// <summary>Gathers one chain and hands it to the back end; false when the back end has no room (nothing was consumed).</summary>
    private bool Transmit(IGuestMemory memory, DescriptorChain chain, INetBackendQueue port, int backendBytes)
    {
        if (chain.ReadableBytes - (uint)_offloads.HeaderBytes > MaxFrameBytes)
        {
            Counters.TxDroppedOversized++;
            return true;
        }
        Span<byte> packet = GatherForBackend(memory, chain, backendBytes);
        if (!_offloads.CheckTransmitHeader(packet))
        {
            Counters.TxDroppedOffloads++;
            return true;
        }
        BackendResult r = port.Write(packet);
        switch (r.Status)
        {
            case BackendStatus.Done:
                Counters.TxPackets++;
                Counters.TxBytes += (ulong)(packet.Length - backendBytes);
                return true;
            case BackendStatus.WouldBlock:
                return false;
            default:
                Counters.TxDroppedBackend++;
                return true;
        }
    }

    /// <summary>
    /// Gathers a transmit chain so that the frame starts at byte 20 of the buffer whatever the
    /// guest's header size, then puts the back end's header (12 or 20 bytes) right before it: the
    /// guest's first 12 bytes, with num_buffers and the hash fields (meaningless on transmit) zeroed.
    /// </summary>
    private Span<byte> GatherForBackend(IGuestMemory memory, DescriptorChain chain, int backendBytes)
    {
        int guestHeaderBytes = _offloads.HeaderBytes;
        int start = VirtioNetHeader.HashBytes - guestHeaderBytes;
        int length = chain.GatherReadable(memory, _txPacket.AsSpan(start, (int)chain.ReadableBytes));
        int backendStart = VirtioNetHeader.HashBytes - backendBytes;
        if (backendStart != start)
        {
            _txPacket.AsSpan(start, VirtioNetHeader.Bytes).CopyTo(_txPacket.AsSpan(backendStart)); // overlapping: CopyTo is memmove
        }
        Span<byte> packet = _txPacket.AsSpan(backendStart, backendBytes + length - guestHeaderBytes);
        packet[VirtioNetHeader.Bytes..backendBytes].Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(packet[VirtioNetHeader.NumBuffersOffset..], 0);
        return packet;
    }

    /// <summary>Writes bytes [from, from + count) of header-then-frame into the chain's writable buffers.</summary>
    private static void WriteStream(IGuestMemory memory, DescriptorChain chain, ReadOnlySpan<byte> header, ReadOnlySpan<byte> frame, uint from, uint count)
    {
        uint done = 0;
        if (from < header.Length)
        {
            int headerPart = (int)Math.Min((uint)header.Length - from, count);
            chain.ScatterWritable(memory, header.Slice((int)from, headerPart));
            done = (uint)headerPart;
        }
        if (done < count)
        {
            int frameStart = (int)(from + done - (uint)header.Length);
            chain.ScatterWritable(memory, frame.Slice(frameStart, (int)(count - done)), done);
        }
    }

    private static GuestAddress AddressOf(DescriptorChain chain, uint offset)
    {
        foreach (Descriptor d in chain.Descriptors)
        {
            if (offset < d.Length)
            {
                return d.Address + offset;
            }
            offset -= d.Length;
        }
        throw new VirtioDeviceException(VirtioError.BadChainForQueue, "receive chain shorter than the header");
    }
}
