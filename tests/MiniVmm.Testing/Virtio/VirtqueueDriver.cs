using System.Buffers.Binary;
using MiniVmm.Memory;

namespace MiniVmm.Testing;

/// <summary>
/// The driver's side of one split virtqueue (virtio 1.2 §2.7.13) over fake guest memory: lays out
/// descriptor chains (well-formed or hostile), publishes them in the available ring and reads the
/// used ring back.
/// </summary>
public sealed class VirtqueueDriver
{
    private readonly IGuestMemory _memory;
    private ushort _availIdx;
    private ushort _lastUsed;
    private ushort _nextFree;

    public VirtqueueDriver(IGuestMemory memory, ushort size, GuestAddress desc, GuestAddress avail, GuestAddress used)
    {
        _memory = memory;
        Size = size;
        Desc = desc;
        Avail = avail;
        Used = used;
    }

    public ushort Size { get; }
    public GuestAddress Desc { get; }
    public GuestAddress Avail { get; }
    public GuestAddress Used { get; }
    public ushort AvailIdx => _availIdx;

    /// <summary>Bytes of each ring for a queue of <paramref name="size"/> (§2.7: desc 16n, avail 6+2n, used 6+8n).</summary>
    public static (ulong Desc, ulong Avail, ulong Used) RingBytes(ushort size) => (16UL * size, 6UL + 2UL * size, 6UL + 8UL * size);

    /// <summary>Writes one raw descriptor (any values: hostile tests use this).</summary>
    public void WriteDescriptor(int index, ulong address, uint length, ushort flags, ushort next)
    {
        Span<byte> d = _memory.GetSpan(Desc + 16UL * (ulong)index, 16);
        WriteEntry(d, address, length, flags, next);
    }

    public static void WriteEntry(Span<byte> d, ulong address, uint length, ushort flags, ushort next)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(d, address);
        BinaryPrimitives.WriteUInt32LittleEndian(d[8..], length);
        BinaryPrimitives.WriteUInt16LittleEndian(d[12..], flags);
        BinaryPrimitives.WriteUInt16LittleEndian(d[14..], next);
    }

    /// <summary>Chains buffers through free descriptors and publishes the head; returns the head.</summary>
    public ushort AddChain(params (GuestAddress Address, uint Length, bool Writable)[] buffers)
    {
        ushort head = _nextFree;
        for (int i = 0; i < buffers.Length; i++)
        {
            int index = (_nextFree + i) % Size;
            bool last = i == buffers.Length - 1;
            ushort flags = (ushort)((last ? 0 : 1) | (buffers[i].Writable ? 2 : 0));
            WriteDescriptor(index, buffers[i].Address.Value, buffers[i].Length, flags, (ushort)((index + 1) % Size));
        }
        _nextFree = (ushort)((_nextFree + buffers.Length) % Size);
        Publish(head);
        return head;
    }

    /// <summary>Puts the buffers in an indirect table at <paramref name="table"/> and publishes one descriptor pointing to it.</summary>
    public ushort AddIndirectChain(GuestAddress table, params (GuestAddress Address, uint Length, bool Writable)[] buffers)
    {
        for (int i = 0; i < buffers.Length; i++)
        {
            bool last = i == buffers.Length - 1;
            ushort flags = (ushort)((last ? 0 : 1) | (buffers[i].Writable ? 2 : 0));
            WriteEntry(_memory.GetSpan(table + 16UL * (ulong)i, 16), buffers[i].Address.Value, buffers[i].Length, flags, (ushort)(i + 1));
        }
        ushort head = _nextFree;
        WriteDescriptor(head, table.Value, (uint)(16 * buffers.Length), 4, 0);
        _nextFree = (ushort)((_nextFree + 1) % Size);
        Publish(head);
        return head;
    }

    /// <summary>Puts a head in the next available slot and advances avail->idx (§2.7.13.2).</summary>
    public void Publish(ushort head)
    {
        _memory.WriteU16(Avail + 4 + 2UL * (ulong)(_availIdx % Size), head);
        _availIdx++;
        _memory.WriteU16(Avail + 2, _availIdx);
    }

    /// <summary>Writes avail->idx directly (hostile tests).</summary>
    public void SetAvailIdx(ushort value)
    {
        _availIdx = value;
        _memory.WriteU16(Avail + 2, value);
    }

    public void SetNoInterrupt(bool on) => _memory.WriteU16(Avail, on ? (ushort)1 : (ushort)0);

    /// <summary>used_event, at the end of the available ring (§2.7.10).</summary>
    public void SetUsedEvent(ushort value) => _memory.WriteU16(Avail + 4 + 2UL * Size, value);

    /// <summary>avail_event, at the end of the used ring, as the device wrote it.</summary>
    public ushort AvailEvent => _memory.ReadU16(Used + 4 + 8UL * Size);

    public ushort UsedIdx => _memory.ReadU16(Used + 2);

    /// <summary>Takes the next used element, if the device published one.</summary>
    public bool TryTakeUsed(out uint id, out uint length)
    {
        if (UsedIdx == _lastUsed)
        {
            id = length = 0;
            return false;
        }
        GuestAddress element = Used + 4 + 8UL * (ulong)(_lastUsed % Size);
        id = _memory.ReadU32(element);
        length = _memory.ReadU32(element + 4);
        _lastUsed++;
        return true;
    }
}
