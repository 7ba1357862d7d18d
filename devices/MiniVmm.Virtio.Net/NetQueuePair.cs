using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Rss;
using MiniVmm.Virtio.Queues;

namespace MiniVmm.Virtio.Net;

/// <summary>
/// The packet work of one queue pair (receiveq k, transmitq k), called by that pair's worker with
/// guest memory passed in. RX copies back-end packets into guest chains (§5.1.6.4), TX gathers
/// guest chains into back-end packets (§5.1.6.2). Buffers are allocated once; a batch takes one
/// uncontended lock so that a device reset never runs in the middle of it. The back end's packets
/// carry the header its <see cref="INetBackendQueue.Header"/> names (12 or 20 bytes, with or without
/// a hash it filled); the guest's header is 12 bytes, or 20 with VIRTIO_NET_F_HASH_REPORT.
/// </summary>
public sealed class NetQueuePair
{
    /// <summary>The largest frame either way: 64 KiB of TSO payload plus Ethernet and VLAN headers.</summary>
    public const int MaxFrameBytes = 65536 + 18;

    private readonly VirtioNetDevice _device;
    private readonly Lock _sync = new();
    private readonly byte[] _rxPacket = new byte[VirtioNetHeader.HashBytes + MaxFrameBytes];
    private readonly byte[] _txPacket = new byte[VirtioNetHeader.HashBytes + MaxFrameBytes];
    private readonly ushort[] _mergeHeads;
    private readonly uint[] _mergeLengths;
    private int _rxPending;
    private BackendHeader _rxPendingHeader = BackendHeader.V1;
    private int _headerBytes = VirtioNetHeader.Bytes;
    private bool _mergeable;
    private bool _hashReport;
    private bool _guestCsum;
    private bool _guestTso4;
    private bool _guestTso6;

    internal NetQueuePair(VirtioNetDevice device, int index, SplitQueue rx, SplitQueue tx)
    {
        _device = device;
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

    /// <summary>The host side of this pair; attach before the guest sets DRIVER_OK.</summary>
    public INetBackendQueue? Backend { get; set; }

    public NetQueuePairCounters Counters { get; } = new();

    /// <summary>True while a received packet waits for the guest to post RX buffers.</summary>
    public bool HasPendingRx => Volatile.Read(ref _rxPending) != 0;

    /// <summary>Packets moved per <see cref="ProcessRx"/> call, so one busy direction cannot starve the other.</summary>
    public const int RxBudget = 256;

    /// <summary>
    /// Moves back-end packets into the guest's receive queue until the back end is empty, the guest
    /// has no buffers (the packet is kept and retried on the next call, after the RX kick) or the
    /// budget is used.
    /// </summary>
    public RxOutcome ProcessRx(IGuestMemory memory)
    {
        if (!_device.IsActive || Index >= _device.ActivePairs || Backend is not INetBackendQueue backend)
        {
            return RxOutcome.NotActive;
        }
        lock (_sync)
        {
            try
            {
                BackendHeader layout = backend.Header;
                bool delivered = false;
                RxOutcome outcome = RxOutcome.BudgetUsed;
                for (int budget = RxBudget; budget > 0 && _device.IsActive; budget--)
                {
                    if (_rxPending == 0)
                    {
                        if (layout.HashFilled)
                        {
                            // A kernel that does not fill the hash leaves these bytes as they were: make that "no hash".
                            _rxPacket.AsSpan(VirtioNetHeader.HashValueOffset, VirtioNetHeader.HashBytes - VirtioNetHeader.HashValueOffset).Clear();
                        }
                        int read = backend.Read(_rxPacket);
                        if (read <= 0)
                        {
                            outcome = RxOutcome.BackendEmpty;
                            break;
                        }
                        if (read <= layout.Bytes || read > _rxPacket.Length || !AdjustOffloads(_rxPacket))
                        {
                            Counters.RxDropped++;
                            continue;
                        }
                        _rxPending = read;
                        _rxPendingHeader = layout;
                    }
                    int result = TryDeliver(memory);
                    if (result < 0)
                    {
                        outcome = RxOutcome.WaitingForGuestBuffers;
                        break;
                    }
                    delivered |= result > 0;
                    _rxPending = 0;
                }
                if (delivered && RxQueue.NeedsNotification(memory))
                {
                    _device.Interrupts.SignalQueue(RxQueueIndex);
                }
                return _device.IsActive ? outcome : RxOutcome.NotActive;
            }
            catch (VirtioDeviceException e)
            {
                _rxPending = 0;
                _device.Fail($"receiveq{Index + 1}: {e.Message}");
                return RxOutcome.NotActive;
            }
        }
    }

    /// <summary>Sends every chain the guest queued on the transmit queue; returns how many.</summary>
    public int ProcessTx(IGuestMemory memory)
    {
        if (!_device.IsActive || Backend is not INetBackendQueue backend)
        {
            return 0;
        }
        lock (_sync)
        {
            int sent = 0;
            try
            {
                int backendBytes = backend.Header.Bytes;
                while (_device.IsActive && TxQueue.TryPopChain(memory, out DescriptorChain chain))
                {
                    if (chain.WritableBytes != 0 || chain.ReadableBytes < _headerBytes)
                    {
                        // §5.1.6.2: a transmit chain is the header followed by the packet, all device-readable.
                        throw new VirtioDeviceException($"transmit chain {chain.Head}: {chain.ReadableBytes} readable, {chain.WritableBytes} writable bytes");
                    }
                    if (chain.ReadableBytes - (uint)_headerBytes > MaxFrameBytes)
                    {
                        Counters.TxDropped++;
                    }
                    else
                    {
                        Span<byte> packet = GatherForBackend(memory, chain, backendBytes);
                        if (backend.Write(packet))
                        {
                            Counters.TxPackets++;
                            Counters.TxBytes += (ulong)(packet.Length - backendBytes);
                        }
                        else
                        {
                            Counters.TxDropped++;
                        }
                    }
                    TxQueue.AddUsed(memory, chain.Head, 0);
                    sent++;
                }
                if (sent > 0)
                {
                    TxQueue.PublishUsed(memory);
                    if (TxQueue.NeedsNotification(memory))
                    {
                        _device.Interrupts.SignalQueue(TxQueueIndex);
                    }
                }
            }
            catch (VirtioDeviceException e)
            {
                _device.Fail($"transmitq{Index + 1}: {e.Message}");
            }
            return sent;
        }
    }

    internal void Configure(ulong features)
    {
        lock (_sync)
        {
            bool Has(int bit) => (features & VirtioFeature.Bit(bit)) != 0;
            _hashReport = Has(VirtioNetFeature.HashReport);
            _headerBytes = _hashReport ? VirtioNetHeader.HashBytes : VirtioNetHeader.Bytes;
            _mergeable = Has(VirtioNetFeature.MrgRxbuf);
            _guestCsum = Has(VirtioNetFeature.GuestCsum);
            _guestTso4 = Has(VirtioNetFeature.GuestTso4);
            _guestTso6 = Has(VirtioNetFeature.GuestTso6);
            _rxPending = 0;
        }
    }

    /// <summary>
    /// Gathers a transmit chain so that the frame starts at byte 20 of the buffer whatever the
    /// guest's header size, then puts the back end's header (12 or 20 bytes) right before it: the
    /// guest's first 12 bytes, with num_buffers and the hash fields (meaningless on transmit) zeroed.
    /// </summary>
    private Span<byte> GatherForBackend(IGuestMemory memory, DescriptorChain chain, int backendBytes)
    {
        int start = VirtioNetHeader.HashBytes - _headerBytes;
        int length = chain.GatherReadable(memory, _txPacket.AsSpan(start, (int)chain.ReadableBytes));
        int backendStart = VirtioNetHeader.HashBytes - backendBytes;
        if (backendStart != start)
        {
            _txPacket.AsSpan(start, VirtioNetHeader.Bytes).CopyTo(_txPacket.AsSpan(backendStart)); // overlapping: CopyTo is memmove
        }
        Span<byte> packet = _txPacket.AsSpan(backendStart, backendBytes + length - _headerBytes);
        packet[VirtioNetHeader.Bytes..backendBytes].Clear();
        BinaryPrimitives.WriteUInt16LittleEndian(packet[VirtioNetHeader.NumBuffersOffset..], 0);
        return packet;
    }

    internal void ResetPair()
    {
        lock (_sync)
        {
            _rxPending = 0;
        }
    }

    /// <summary>1: delivered; 0: dropped (the packet can never fit); -1: not enough buffers now.</summary>
    private int TryDeliver(IGuestMemory memory)
    {
        int frameBytes = _rxPending - _rxPendingHeader.Bytes;
        ReadOnlySpan<byte> frame = _rxPacket.AsSpan(_rxPendingHeader.Bytes, frameBytes);
        Span<byte> header = stackalloc byte[VirtioNetHeader.HashBytes];
        BuildHeader(header, frame);
        header = header[.._headerBytes];
        uint total = (uint)(_headerBytes + frameBytes);

        int chains = 0;
        uint written = 0;
        GuestAddress numBuffersLow = default, numBuffersHigh = default;
        while (written < total)
        {
            if (chains == _mergeHeads.Length || !RxQueue.TryPopChain(memory, out DescriptorChain chain))
            {
                RxQueue.UndoPop(chains);
                return -1;
            }
            if (chain.ReadableBytes != 0 || chain.WritableBytes == 0)
            {
                // §5.1.6.3: receive buffers are device-writable only.
                throw new VirtioDeviceException($"receive chain {chain.Head}: {chain.ReadableBytes} readable, {chain.WritableBytes} writable bytes");
            }
            if (chains == 0 && (chain.WritableBytes < total && !_mergeable || chain.WritableBytes < _headerBytes))
            {
                // Without MRG_RXBUF the whole packet must fit one chain (§5.1.6.3.1); this one never will.
                RxQueue.UndoPop(1);
                Counters.RxDropped++;
                return 0;
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

    private void BuildHeader(Span<byte> header, ReadOnlySpan<byte> frame)
    {
        header.Clear();
        _rxPacket.AsSpan(0, VirtioNetHeader.OffloadBytes).CopyTo(header);
        if (!_hashReport)
        {
            return;
        }
        uint hash = 0;
        VirtioNetHashReport report = VirtioNetHashReport.None;
        if (_rxPendingHeader.HashFilled)
        {
            (hash, report) = BackendHash(_device.CurrentRss);
        }
        // A back end that already hashed the packet (software steering) answers for its own pair.
        else if (_device.CurrentRss is RssConfiguration config && (Backend as IRxHashProvider ?? _device.HashProvider) is IRxHashProvider provider
            && !provider.TryComputeHash(frame, config, out hash, out report))
        {
            hash = 0;
            report = VirtioNetHashReport.None;
        }
        BinaryPrimitives.WriteUInt32LittleEndian(header[VirtioNetHeader.HashValueOffset..], hash);
        BinaryPrimitives.WriteUInt16LittleEndian(header[VirtioNetHeader.HashReportOffset..], (ushort)report);
    }

    /// <summary>
    /// The hash the back end put in the packet's virtio_net_hdr_v1_hash (the kernel, or our BPF
    /// program through a kfunc). The back end is trusted to steer, not to write sane bytes: a report
    /// code the guest did not enable (§5.1.6.4.3: the device reports only enabled types), including
    /// codes above VIRTIO_NET_HASH_REPORT_UDPv6_EX and any code while hashing is off, becomes
    /// NONE with hash 0 and is counted; the packet itself is still delivered. NONE always has hash 0.
    /// </summary>
    private (uint Hash, VirtioNetHashReport Report) BackendHash(RssConfiguration? config)
    {
        ushort code = BinaryPrimitives.ReadUInt16LittleEndian(_rxPacket.AsSpan(VirtioNetHeader.HashReportOffset));
        if (code == (ushort)VirtioNetHashReport.None)
        {
            return (0, VirtioNetHashReport.None);
        }
        // Report codes 1..9 name the hash types 1 << 0 .. 1 << 8 in the same order (§5.1.6.4.3.1).
        VirtioNetHashTypes type = code <= (ushort)VirtioNetHashReport.UdpV6Ex ? (VirtioNetHashTypes)(1u << (code - 1)) : VirtioNetHashTypes.None;
        if (config is null || type == VirtioNetHashTypes.None || (config.HashTypes & type) == 0)
        {
            Counters.RxHashReportsRejected++;
            return (0, VirtioNetHashReport.None);
        }
        return (BinaryPrimitives.ReadUInt32LittleEndian(_rxPacket.AsSpan(VirtioNetHeader.HashValueOffset)), (VirtioNetHashReport)code);
    }

    /// <summary>
    /// Offload fields may reach the guest only as negotiated (§5.1.6.4.1). Without GUEST_CSUM the
    /// flags must be zero: DATA_VALID (which TUN sets for checksum-verified packets whatever the
    /// offloads) is cleared, and a partial checksum (NEEDS_CSUM) cannot be delivered, so it drops.
    /// </summary>
    private bool AdjustOffloads(Span<byte> packet)
    {
        byte gso = (byte)(packet[VirtioNetHeader.GsoTypeOffset] & ~VirtioNetHeader.GsoEcn);
        if (!_guestCsum)
        {
            if ((packet[VirtioNetHeader.FlagsOffset] & VirtioNetHeader.FlagNeedsCsum) != 0)
            {
                return false;
            }
            packet[VirtioNetHeader.FlagsOffset] = 0;
        }
        return gso switch
        {
            VirtioNetHeader.GsoNone => true,
            VirtioNetHeader.GsoTcpV4 => _guestTso4,
            VirtioNetHeader.GsoTcpV6 => _guestTso6,
            _ => false,
        };
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
        throw new VirtioDeviceException("receive chain shorter than the header");
    }
}
