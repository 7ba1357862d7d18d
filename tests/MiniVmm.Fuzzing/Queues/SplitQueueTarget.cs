using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Rss;
using MiniVmm.Testing;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;
using MiniVmm.Virtio.Queues;

namespace MiniVmm.Fuzzing.Queues;

/// <summary>
/// The split queue and descriptor walk (devices/MiniVmm.Virtio/Queues) under the net queue pair's
/// receive and transmit work (<see cref="NetQueuePair.ProcessRx"/>, <see cref="NetQueuePair.ProcessTx"/>
/// with tests/MiniVmm.Testing's fake back end), over 64 KiB of guest memory the input lays out (see
/// <see cref="QueueCase"/>). The device either reports a failure or produces used entries only within
/// posted device-writable buffers, and no byte outside those buffers and the used ring changes
/// (<see cref="QueueOracle"/> has every check).
/// </summary>
public sealed class SplitQueueTarget : IFuzzTarget
{
    public const int MemoryBytes = 1 << 16;
    public const ushort MaxQueueSize = 256;

    private static readonly RssConfiguration s_rss = RssConfiguration.Spread(4);

    private readonly ArrayGuestMemory _memory = new(MemoryBytes);
    private readonly byte[] _before = new byte[MemoryBytes];
    private readonly SplitQueue _rx = new(MaxQueueSize);
    private readonly SplitQueue _tx = new(MaxQueueSize);
    private readonly NetQueuePair _pair;

    public SplitQueueTarget() => _pair = new NetQueuePair(0, _rx, _tx);

    public string Name => "queue";

    public OutcomeCounts Outcomes { get; } = new();

    public string Oracle => "a failure, or used entries only for valid posted chains of the queue's kind, within their device-writable buffers; no byte changed outside those buffers and the used ring; failure exactly at the first bad chain, with its reason; packets intact both ways";

    public void Run(ReadOnlySpan<byte> input)
    {
        QueueCase c = QueueCase.Read(input);
        Span<byte> image = _memory.GetSpan(new GuestAddress(0), MemoryBytes);
        image.Clear();
        _rx.Reset();
        _tx.Reset();
        SplitQueue queue = c.IsTransmit ? _tx : _rx;
        queue.TrySetSize(c.Size);
        queue.DescriptorTable = new GuestAddress(c.DescriptorTable);
        queue.DriverArea = new GuestAddress(c.AvailableRing);
        queue.DeviceArea = new GuestAddress(c.UsedRing);
        string? refused = queue.TryEnable(_memory);
        bool ringsGood = c.DescriptorTable % 16 == 0 && c.AvailableRing % 2 == 0 && c.UsedRing % 4 == 0
            && c.DescriptorTable + 16 * c.Size <= MemoryBytes && c.AvailableRing + 6 + 2 * c.Size <= MemoryBytes && c.UsedRing + 6 + 8 * c.Size <= MemoryBytes;
        // §2.7: alignment 16/2/4 and every ring inside memory, nothing more, nothing less.
        OracleViolationException.Check(ringsGood == (refused is null), () => $"rings desc 0x{c.DescriptorTable:x} avail 0x{c.AvailableRing:x} used 0x{c.UsedRing:x} size {c.Size}: enable said '{refused ?? "ok"}'");
        if (refused is not null)
        {
            Outcomes.Add("rings refused");
            return;
        }

        ulong features = Features(c.Mode);
        queue.SetFeatures(features);
        _pair.Configure(features);
        if ((c.Mode & QueueMode.SetBase) != 0)
        {
            queue.SetBase(c.Base, c.Base);
            BinaryPrimitives.WriteUInt16LittleEndian(image[(c.UsedRing + 2)..], c.Base);
        }
        int guestHeader = (c.Mode & QueueMode.HashReport) != 0 ? VirtioNetHeader.HashBytes : VirtioNetHeader.Bytes;
        var backend = new FakeNetBackendQueue
        {
            HeaderBytes = (c.Mode & QueueMode.BackendHashHeader) != 0 ? VirtioNetHeader.HashBytes : VirtioNetHeader.Bytes,
            // Only a 20-byte back-end header has hash fields to report (the kernel back end's).
            HashFromHeader = (c.Mode & (QueueMode.HashFromHeader | QueueMode.BackendHashHeader)) == (QueueMode.HashFromHeader | QueueMode.BackendHashHeader),
        };
        RssConfiguration? rss = (c.Mode & QueueMode.NoRssConfiguration) != 0 ? null : s_rss;
        var injected = new List<byte[]>();
        int cursor = 0;
        foreach (QueueRound round in c.Rounds)
        {
            foreach ((ushort address, byte[] bytes) in round.Patches)
            {
                bytes.AsSpan(0, Math.Min(bytes.Length, MemoryBytes - address)).CopyTo(image[address..]);
            }
            foreach (QueuePacket p in round.Packets)
            {
                byte[] packet = p.Build(backend.HeaderBytes, injected.Count);
                injected.Add(packet);
                backend.ToGuest.Enqueue(packet);
            }
            image.CopyTo(_before);
            ushort nextAvail = queue.NextAvail, nextUsed = queue.NextUsed;
            int sentBefore = backend.FromGuest.Count;
            var view = new QueueRoundView(_before, c, nextAvail, (c.Mode & QueueMode.IndirectDesc) != 0);

            VirtioFailure? failure;
            bool stoppedEmpty;
            if (c.IsTransmit)
            {
                TxOutcome tx = _pair.ProcessTx(_memory, backend, round.Budget);
                (failure, stoppedEmpty) = (tx.Failure, tx.Stop == TxStop.QueueEmpty);
            }
            else
            {
                RxOutcome rx = _pair.ProcessRx(_memory, backend, rss, round.Budget);
                (failure, stoppedEmpty) = (rx.Failure, rx.Stop != RxStop.BudgetUsed);
            }
            if (view.SelfModifying)
            {
                Outcomes.Add("self-modifying layout"); // see QueueRoundView: only "nothing escaped" holds then
                return;
            }

            var oracle = new QueueOracle(c, view, guestHeader, (c.Mode & QueueMode.MergeableRxBuffers) != 0);
            oracle.CheckWrites(_before, image);
            ushort consumed = (ushort)(queue.NextAvail - nextAvail);
            oracle.CheckConsumption(consumed, failure, stoppedEmpty, round.Budget);
            ushort usedCount = (ushort)(queue.NextUsed - nextUsed);
            uint[] lengths = oracle.CheckUsed(image, nextUsed, usedCount, consumed, failure is not null);
            ushort usedIdx = BinaryPrimitives.ReadUInt16LittleEndian(image[(c.UsedRing + 2)..]);
            OracleViolationException.Check(failure is not null || usedCount == 0 || usedIdx == queue.NextUsed,
                () => $"used->idx is {usedIdx} after adding {usedCount} elements; the device's next is {queue.NextUsed}");
            if (c.IsTransmit)
            {
                oracle.CheckTransmitted(_before, backend.FromGuest.GetRange(sentBefore, backend.FromGuest.Count - sentBefore), consumed, backend.HeaderBytes);
            }
            else if (!view.BuffersOverlap)
            {
                oracle.CheckReceived(image, lengths, injected, ref cursor, rss, backend.HeaderBytes);
            }
            Outcomes.Add(failure is VirtioFailure f ? $"failed {f.Reason}" : c.IsTransmit ? $"sent {backend.FromGuest.Count - sentBefore > 0}" : $"delivered {usedCount > 0}");
            if (failure is not null) return; // the transport would now set DEVICE_NEEDS_RESET
        }
    }

    public void Dispose()
    {
    }

    private static ulong Features(QueueMode mode)
    {
        ulong f = VirtioFeature.Bit(VirtioFeature.Version1);
        if ((mode & QueueMode.EventIdx) != 0) f |= VirtioFeature.Bit(VirtioFeature.EventIdx);
        if ((mode & QueueMode.IndirectDesc) != 0) f |= VirtioFeature.Bit(VirtioFeature.IndirectDesc);
        if ((mode & QueueMode.MergeableRxBuffers) != 0) f |= VirtioFeature.Bit(VirtioNetFeature.MrgRxbuf);
        if ((mode & QueueMode.HashReport) != 0) f |= VirtioFeature.Bit(VirtioNetFeature.HashReport);
        if ((mode & QueueMode.Offloads) != 0)
        {
            foreach (int bit in new[] { VirtioNetFeature.Csum, VirtioNetFeature.GuestCsum, VirtioNetFeature.GuestTso4, VirtioNetFeature.GuestTso6, VirtioNetFeature.HostTso4, VirtioNetFeature.HostTso6 })
            {
                f |= VirtioFeature.Bit(bit);
            }
        }
        return f;
    }
}
