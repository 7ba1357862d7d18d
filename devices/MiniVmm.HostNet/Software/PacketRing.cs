using System.Buffers.Binary;

namespace MiniVmm.HostNet.Software;

/// <summary>
/// A bounded single-producer single-consumer ring of variable-length packets in one preallocated
/// byte array: the hand-off from one queue-pair worker to another. No lock and no allocation per
/// packet; the producer publishes with a release store of the tail, the consumer frees with a
/// release store of the head. A record is a 4-byte length and the bytes, padded to 4, and never
/// wraps: when it does not fit before the end, a -1 length marks the rest of the lap as skipped.
/// </summary>
public sealed class PacketRing
{
    private const int HeaderBytes = 4, SkipMarker = -1;

    private readonly byte[] _buffer;
    private readonly int _mask;
    private long _head;          // consumer's position; written by the consumer only
    private long _tail;          // producer's position; written by the producer only
    private int _peekedBytes;    // consumer-private: the size of the record TryPeek returned

    /// <param name="capacityBytes">A power of two, at least 64.</param>
    public PacketRing(int capacityBytes)
    {
        if (capacityBytes < 64 || (capacityBytes & (capacityBytes - 1)) != 0)
        {
            throw new ArgumentOutOfRangeException(nameof(capacityBytes), capacityBytes, "ring capacity must be a power of two of at least 64 bytes");
        }
        _buffer = new byte[capacityBytes];
        _mask = capacityBytes - 1;
    }

    public int CapacityBytes => _buffer.Length;

    /// <summary>The largest packet that can ever fit.</summary>
    public int MaxPacketBytes => _buffer.Length - HeaderBytes;

    /// <summary>True when the consumer has taken everything published (a snapshot).</summary>
    public bool IsEmpty => Volatile.Read(ref _head) == Volatile.Read(ref _tail);

    /// <summary>
    /// Producer: copies <paramref name="packet"/> in; false when there is no room (the caller drops it).
    /// <paramref name="consumerWasIdle"/> is true when the consumer had taken everything before this
    /// packet, so it may be asleep and must be woken; it is read after a full fence, so a consumer
    /// that re-checks after its own fence cannot miss both the packet and the wake-up.
    /// </summary>
    public bool TryWrite(ReadOnlySpan<byte> packet, out bool consumerWasIdle) => TryWrite(packet, out consumerWasIdle, out _);

    /// <summary>
    /// As <see cref="TryWrite(ReadOnlySpan{byte}, out bool)"/>; <paramref name="neverFits"/> is true
    /// when it failed although the ring was empty: at the current offset a record this size does not
    /// fit however much the consumer frees (one larger than half the ring may not).
    /// </summary>
    public bool TryWrite(ReadOnlySpan<byte> packet, out bool consumerWasIdle, out bool neverFits)
    {
        consumerWasIdle = false;
        int record = HeaderBytes + Align4(packet.Length);
        neverFits = record > _buffer.Length;
        if (neverFits) return false;
        long start = _tail;
        long tail = start;
        int offset = (int)(tail & _mask);
        int toEnd = _buffer.Length - offset;
        long needed = record <= toEnd ? record : toEnd + record;
        long head = Volatile.Read(ref _head);
        if (tail + needed - head > _buffer.Length)
        {
            neverFits = head == tail;
            return false;
        }
        if (record > toEnd)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(offset), SkipMarker);
            tail += toEnd;
            offset = 0;
        }
        BinaryPrimitives.WriteInt32LittleEndian(_buffer.AsSpan(offset), packet.Length);
        packet.CopyTo(_buffer.AsSpan(offset + HeaderBytes));
        Volatile.Write(ref _tail, tail + record);
        Interlocked.MemoryBarrier();
        consumerWasIdle = Volatile.Read(ref _head) >= start;
        return true;
    }

    /// <summary>Consumer: the oldest packet, left in the ring until <see cref="Release"/>; false when empty.</summary>
    public bool TryPeek(out ReadOnlySpan<byte> packet)
    {
        packet = default;
        long head = _head;
        if (head == Volatile.Read(ref _tail)) return false;
        int offset = (int)(head & _mask);
        int length = BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(offset));
        if (length == SkipMarker)
        {
            head += _buffer.Length - offset;
            Volatile.Write(ref _head, head);
            if (head == Volatile.Read(ref _tail)) return false;
            offset = 0;
            length = BinaryPrimitives.ReadInt32LittleEndian(_buffer);
        }
        packet = _buffer.AsSpan(offset + HeaderBytes, length);
        _peekedBytes = HeaderBytes + Align4(length);
        return true;
    }

    /// <summary>Consumer: frees the packet the last <see cref="TryPeek"/> returned.</summary>
    public void Release()
    {
        if (_peekedBytes == 0) throw new InvalidOperationException("Release without a packet from TryPeek");
        Volatile.Write(ref _head, _head + _peekedBytes);
        _peekedBytes = 0;
    }

    private static int Align4(int n) => (n + 3) & ~3;
}
