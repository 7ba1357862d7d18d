using MiniVmm.Native;

namespace MiniVmm.HostNet.Software;

/// <summary>
/// The software back end's hand-over between queue-pair workers: one bounded <see cref="PacketRing"/>
/// per destination pair, allocated when the first packet goes there, and one wake-up eventfd per
/// pair (watched by its worker), signalled when its ring goes from empty to non-empty and when a
/// ring it waits for has room again. Several workers may hand packets to one destination, so
/// producers take that ring's lock (short and per destination); the destination's worker consumes
/// without one. A full ring holds the sender back while the destination's guest has buffers (its
/// worker is draining it: <see cref="HandOver.Full"/>, nothing lost); only while the destination
/// has no buffers is a packet for it dropped and counted against it, as a NIC drops on a full queue.
/// </summary>
public sealed class SteeringExchange : IDisposable
{
    /// <summary>
    /// Enough for 160 full-size frames, or three 64 KiB ones, per destination; more than twice the
    /// largest packet, so an empty ring always takes one (a record never wraps, see <see cref="PacketRing"/>).
    /// </summary>
    public const int DefaultRingBytes = 256 * 1024;

    private const int NotWaiting = -1;

    private readonly int _ringBytes;
    private readonly PacketRing?[] _rings;
    private readonly Lock[] _producerLocks;
    private readonly long[] _droppedNoBuffers;
    private readonly long[] _droppedTooLarge;
    private readonly long[] _handedOver;
    private readonly EventFd[] _wakeups;
    private readonly int[] _stalled;     // per destination: 1 while its guest has no receive buffers
    private readonly int[] _waitingOn;   // per source: the destination whose full ring it waits for, or NotWaiting
    private readonly int[] _hasWaiters;  // per destination: 1 when some source may be waiting for room

    public SteeringExchange(int queuePairs, int ringBytes = DefaultRingBytes)
    {
        if (queuePairs < 1) throw new ArgumentOutOfRangeException(nameof(queuePairs));
        QueuePairs = queuePairs;
        _ringBytes = ringBytes;
        _rings = new PacketRing?[queuePairs];
        _producerLocks = Enumerable.Range(0, queuePairs).Select(_ => new Lock()).ToArray();
        _droppedNoBuffers = new long[queuePairs];
        _droppedTooLarge = new long[queuePairs];
        _handedOver = new long[queuePairs];
        _stalled = new int[queuePairs];
        _waitingOn = Enumerable.Repeat(NotWaiting, queuePairs).ToArray();
        _hasWaiters = new int[queuePairs];
        _wakeups = new EventFd[queuePairs];
        try
        {
            for (int t = 0; t < queuePairs; t++) _wakeups[t] = new EventFd();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public int QueuePairs { get; }

    /// <summary>The eventfd the worker of <paramref name="pair"/> watches.</summary>
    public EventFd WakeupOf(int pair) => _wakeups[pair];

    /// <summary>Packets put in <paramref name="target"/>'s ring (by other workers, or kept by its own).</summary>
    public long HandedOverTo(int target) => Interlocked.Read(ref _handedOver[target]);

    /// <summary>Packets dropped for <paramref name="target"/>, for every reason.</summary>
    public long DroppedFor(int target) => DroppedFor(target, HandOverDropReason.NoGuestBuffers) + DroppedFor(target, HandOverDropReason.TooLarge);

    /// <summary>Packets dropped for <paramref name="target"/> for one reason.</summary>
    public long DroppedFor(int target, HandOverDropReason reason) => Interlocked.Read(ref Counter(target, reason));

    /// <summary>Packets dropped for every destination.</summary>
    public long DroppedPackets
    {
        get
        {
            long sum = 0;
            for (int t = 0; t < QueuePairs; t++) sum += DroppedFor(t);
            return sum;
        }
    }

    /// <summary>True when nothing waits for <paramref name="target"/> (a snapshot, for its own worker).</summary>
    public bool IsEmpty(int target) => _rings[target] is not PacketRing ring || ring.IsEmpty;

    /// <summary>
    /// Called by <paramref name="pair"/>'s worker when its guest runs out of receive buffers (true)
    /// and when it may have posted more (false). While stalled its ring is not drained, so senders
    /// waiting for room are woken to drop instead of waiting.
    /// </summary>
    public void SetStalled(int pair, bool stalled)
    {
        if (Volatile.Read(ref _stalled[pair]) == (stalled ? 1 : 0)) return;
        Volatile.Write(ref _stalled[pair], stalled ? 1 : 0);
        if (!stalled) return;
        Interlocked.MemoryBarrier(); // pairs with the sender's fence between registering and re-reading _stalled
        if (Volatile.Read(ref _hasWaiters[pair]) != 0) WakeWaiters(pair);
    }

    /// <summary>
    /// Hands a packet from <paramref name="source"/>'s worker to <paramref name="target"/>'s (the
    /// target itself included, to keep a packet while its guest has no buffers). On
    /// <see cref="HandOver.Full"/> the caller keeps the packet and calls again after its wake-up.
    /// </summary>
    public HandOver Forward(int source, int target, ReadOnlySpan<byte> packet)
    {
        switch (TryWrite(target, packet))
        {
            case Write.Done: return HandOver.Queued;
            case Write.NeverFits: return Drop(target, HandOverDropReason.TooLarge);
        }
        if (Volatile.Read(ref _stalled[target]) != 0) return Drop(target, HandOverDropReason.NoGuestBuffers);
        // Register, then look again: either this sees the room (or the stall) the consumer made, or
        // the consumer, after its fence, sees this registration and signals our wake-up.
        Volatile.Write(ref _waitingOn[source], target);
        Volatile.Write(ref _hasWaiters[target], 1);
        Interlocked.MemoryBarrier();
        Write again = TryWrite(target, packet);
        bool stalled = Volatile.Read(ref _stalled[target]) != 0;
        if (again == Write.NoRoom && !stalled) return HandOver.Full;
        Interlocked.CompareExchange(ref _waitingOn[source], NotWaiting, target);
        return again switch
        {
            Write.Done => HandOver.Queued,
            Write.NeverFits => Drop(target, HandOverDropReason.TooLarge),
            _ => Drop(target, HandOverDropReason.NoGuestBuffers),
        };
    }

    /// <summary>
    /// Called by the worker of <paramref name="target"/> only: copies the oldest waiting packet into
    /// <paramref name="destination"/> and returns its length, or 0 when nothing waits. A packet larger
    /// than the destination is dropped and counted.
    /// </summary>
    public int TryReceive(int target, Span<byte> destination)
    {
        if (Volatile.Read(ref _rings[target]) is not PacketRing ring) return 0;
        for (int attempt = 0; attempt < 2; attempt++)
        {
            if (ring.TryPeek(out ReadOnlySpan<byte> packet))
            {
                int length = packet.Length;
                bool fits = length <= destination.Length;
                if (fits) packet.CopyTo(destination);
                ring.Release();
                // The room just made must be visible before we look for senders waiting for it.
                Interlocked.MemoryBarrier();
                if (Volatile.Read(ref _hasWaiters[target]) != 0) WakeWaiters(target);
                if (fits) return length;
                Interlocked.Increment(ref Counter(target, HandOverDropReason.TooLarge));
                continue;
            }
            // The producer's fence pairs with this one: either we see its packet now, or it saw us idle and signalled.
            Interlocked.MemoryBarrier();
        }
        return 0;
    }

    public void Dispose()
    {
        foreach (EventFd? e in _wakeups) e?.Dispose();
    }

    private enum Write { Done, NoRoom, NeverFits }

    private Write TryWrite(int target, ReadOnlySpan<byte> packet)
    {
        bool written, consumerWasIdle, neverFits;
        lock (_producerLocks[target])
        {
            PacketRing? ring = _rings[target];
            if (ring is null)
            {
                ring = new PacketRing(_ringBytes);
                Volatile.Write(ref _rings[target], ring); // published whole to the consumer
            }
            written = ring.TryWrite(packet, out consumerWasIdle, out neverFits);
        }
        if (!written) return neverFits ? Write.NeverFits : Write.NoRoom;
        Interlocked.Increment(ref _handedOver[target]);
        if (consumerWasIdle) _wakeups[target].Signal();
        return Write.Done;
    }

    private HandOver Drop(int target, HandOverDropReason reason)
    {
        Interlocked.Increment(ref Counter(target, reason));
        return HandOver.Dropped;
    }

    private ref long Counter(int target, HandOverDropReason reason) =>
        ref reason == HandOverDropReason.NoGuestBuffers ? ref _droppedNoBuffers[target] : ref _droppedTooLarge[target];

    /// <summary>Signals every source registered as waiting for <paramref name="target"/>'s ring.</summary>
    private void WakeWaiters(int target)
    {
        Volatile.Write(ref _hasWaiters[target], 0);
        Interlocked.MemoryBarrier(); // a source registering from now on sets the flag again after its _waitingOn
        for (int s = 0; s < QueuePairs; s++)
        {
            if (Volatile.Read(ref _waitingOn[s]) == target && Interlocked.CompareExchange(ref _waitingOn[s], NotWaiting, target) == target)
            {
                _wakeups[s].Signal();
            }
        }
    }
}
