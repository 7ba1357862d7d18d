using MiniVmm.Native;

namespace MiniVmm.HostNet.Software;

/// <summary>
/// The software back end's hand-off between queue-pair workers: one <see cref="PacketRing"/> per
/// (source, target) pair, so each ring has exactly one producer and one consumer and no packet
/// takes a lock, and one wake-up eventfd per target (watched by its <see cref="QueuePairWorker"/>),
/// signalled only when a ring goes from empty to non-empty.
/// </summary>
public sealed class SteeringExchange : IDisposable
{
    public const int DefaultRingBytes = 256 * 1024;

    private readonly PacketRing?[,] _rings;   // [source, target]; null on the diagonal
    private readonly long[] _dropped;         // per source, written by that source's worker only
    private readonly EventFd[] _wakeups;
    private readonly int[] _nextSource;       // per target, touched by that target's worker only
    private long _oversized;

    public SteeringExchange(int queuePairs, int ringBytes = DefaultRingBytes)
    {
        if (queuePairs < 1) throw new ArgumentOutOfRangeException(nameof(queuePairs));
        QueuePairs = queuePairs;
        _rings = new PacketRing?[queuePairs, queuePairs];
        _dropped = new long[queuePairs];
        _wakeups = new EventFd[queuePairs];
        _nextSource = new int[queuePairs];
        try
        {
            for (int t = 0; t < queuePairs; t++) _wakeups[t] = new EventFd();
        }
        catch
        {
            Dispose();
            throw;
        }
        for (int s = 0; s < queuePairs; s++)
        for (int t = 0; t < queuePairs; t++)
            if (s != t) _rings[s, t] = new PacketRing(ringBytes);
    }

    public int QueuePairs { get; }

    /// <summary>The eventfd the worker of <paramref name="target"/> watches (its re-steer event).</summary>
    public EventFd WakeupOf(int target) => _wakeups[target];

    /// <summary>Packets dropped because a target's ring was full (a sum of per-source counters).</summary>
    public long DroppedPackets
    {
        get
        {
            long sum = 0;
            for (int i = 0; i < _dropped.Length; i++) sum += Volatile.Read(ref _dropped[i]);
            return sum;
        }
    }

    /// <summary>
    /// Called by the worker of <paramref name="source"/> only: hands a packet to <paramref name="target"/>'s
    /// worker. False when the target's ring from this source is full: the packet is dropped, as a NIC drops on a full queue.
    /// </summary>
    public bool Forward(int source, int target, ReadOnlySpan<byte> packet)
    {
        PacketRing ring = _rings[source, target] ?? throw new ArgumentException($"queue {source} cannot forward to itself");
        if (!ring.TryWrite(packet, out bool consumerWasIdle))
        {
            Volatile.Write(ref _dropped[source], _dropped[source] + 1);
            return false;
        }
        if (consumerWasIdle) _wakeups[target].Signal();
        return true;
    }

    /// <summary>
    /// Called by the worker of <paramref name="target"/> only: hands every waiting packet to
    /// <paramref name="sink"/> until the rings are empty or the sink is full (then the packet stays
    /// and the worker calls again after the guest's next RX kick). Returns the packets delivered.
    /// </summary>
    public int Drain(int target, PacketSink sink)
    {
        int delivered = 0;
        while (true)
        {
            for (int s = 0; s < QueuePairs; s++)
            {
                PacketRing? ring = _rings[s, target];
                if (ring is null) continue;
                while (ring.TryPeek(out ReadOnlySpan<byte> packet))
                {
                    if (!sink(packet)) return delivered;
                    ring.Release();
                    delivered++;
                }
            }
            // The producer's fence pairs with this one: either we see its packet now, or it saw us idle and signalled.
            Interlocked.MemoryBarrier();
            if (AllEmpty(target)) return delivered;
        }
    }

    /// <summary>
    /// Called by the worker of <paramref name="target"/> only: copies the oldest waiting packet from
    /// any source into <paramref name="destination"/> and returns its length, or 0 when nothing waits.
    /// Sources are visited round-robin so one busy source cannot starve the others. A packet larger
    /// than <paramref name="destination"/> is dropped and counted.
    /// </summary>
    public int TryReceive(int target, Span<byte> destination)
    {
        for (int attempt = 0; attempt < 2; attempt++)
        {
            for (int i = 0; i < QueuePairs; i++)
            {
                int s = _nextSource[target];
                _nextSource[target] = s + 1 == QueuePairs ? 0 : s + 1;
                PacketRing? ring = _rings[s, target];
                if (ring is null || !ring.TryPeek(out ReadOnlySpan<byte> packet)) continue;
                int length = packet.Length;
                bool fits = length <= destination.Length;
                if (fits) packet.CopyTo(destination);
                ring.Release();
                if (fits) return length;
                Interlocked.Increment(ref _oversized);
            }
            // The producer's fence pairs with this one: either we see its packet now, or it saw us idle and signalled.
            Interlocked.MemoryBarrier();
        }
        return 0;
    }

    /// <summary>Packets dropped by <see cref="TryReceive"/> because they did not fit the destination.</summary>
    public long OversizedPackets => Interlocked.Read(ref _oversized);

    public void Dispose()
    {
        foreach (EventFd? e in _wakeups) e?.Dispose();
    }

    private bool AllEmpty(int target)
    {
        for (int s = 0; s < QueuePairs; s++)
        {
            if (_rings[s, target] is { IsEmpty: false }) return false;
        }
        return true;
    }
}
