using MiniVmm.Native;

namespace MiniVmm.HostNet.Software;

/// <summary>
/// The software back end's hand-over between queue-pair workers: one bounded <see cref="PacketRing"/>
/// per destination pair, allocated when the first packet goes there, and one wake-up eventfd per
/// destination (watched by its worker), signalled only when the ring goes from empty to non-empty.
/// Several workers may hand packets to one destination, so producers take that ring's lock (short
/// and per destination); the destination's worker consumes without one. A full ring drops the
/// packet and counts it against the destination, as a NIC drops on a full queue: a destination that
/// has no guest buffers loses its own packets, never another queue's.
/// </summary>
public sealed class SteeringExchange : IDisposable
{
    /// <summary>Enough for 40 full-size frames, or two 64 KiB ones, per destination.</summary>
    public const int DefaultRingBytes = 128 * 1024;

    private readonly int _ringBytes;
    private readonly PacketRing?[] _rings;
    private readonly Lock[] _producerLocks;
    private readonly long[] _dropped;
    private readonly long[] _handedOver;
    private readonly EventFd[] _wakeups;

    public SteeringExchange(int queuePairs, int ringBytes = DefaultRingBytes)
    {
        if (queuePairs < 1) throw new ArgumentOutOfRangeException(nameof(queuePairs));
        QueuePairs = queuePairs;
        _ringBytes = ringBytes;
        _rings = new PacketRing?[queuePairs];
        _producerLocks = Enumerable.Range(0, queuePairs).Select(_ => new Lock()).ToArray();
        _dropped = new long[queuePairs];
        _handedOver = new long[queuePairs];
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

    /// <summary>The eventfd the worker of <paramref name="target"/> watches.</summary>
    public EventFd WakeupOf(int target) => _wakeups[target];

    /// <summary>Packets put in <paramref name="target"/>'s ring (by other workers, or kept by its own).</summary>
    public long HandedOverTo(int target) => Interlocked.Read(ref _handedOver[target]);

    /// <summary>Packets dropped because <paramref name="target"/>'s ring was full.</summary>
    public long DroppedFor(int target) => Interlocked.Read(ref _dropped[target]);

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
    /// Hands a packet to <paramref name="target"/>'s worker (any worker may call, the target itself
    /// included, to keep a packet while its guest has no buffers). False when that ring is full: dropped.
    /// </summary>
    public bool Forward(int target, ReadOnlySpan<byte> packet)
    {
        bool written, consumerWasIdle;
        lock (_producerLocks[target])
        {
            PacketRing? ring = _rings[target];
            if (ring is null)
            {
                ring = new PacketRing(_ringBytes);
                Volatile.Write(ref _rings[target], ring); // published whole to the consumer
            }
            written = ring.TryWrite(packet, out consumerWasIdle);
        }
        if (!written)
        {
            Interlocked.Increment(ref _dropped[target]);
            return false;
        }
        Interlocked.Increment(ref _handedOver[target]);
        if (consumerWasIdle) _wakeups[target].Signal();
        return true;
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
                if (fits) return length;
                Interlocked.Increment(ref _dropped[target]);
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
}
