using MiniVmm.Memory;

namespace MiniVmm.Virtio.Queues;

/// <summary>
/// A validated descriptor chain popped from the available ring (virtio 1.2 §2.7.5, §2.7.13.2):
/// every buffer range is inside guest RAM, indirect tables are already flattened, and readable
/// buffers come before writable ones. A view over the queue's scratch array, valid until the next
/// pop on the same queue (no allocation per chain).
/// </summary>
public readonly struct DescriptorChain
{
    private readonly Descriptor[] _descriptors;
    private readonly int _count;

    internal DescriptorChain(ushort head, Descriptor[] descriptors, int count, uint readableBytes, uint writableBytes)
    {
        Head = head;
        _descriptors = descriptors;
        _count = count;
        ReadableBytes = readableBytes;
        WritableBytes = writableBytes;
    }

    /// <summary>The head descriptor index: the id returned in the used ring.</summary>
    public ushort Head { get; }

    /// <summary>Total bytes of the device-readable buffers.</summary>
    public uint ReadableBytes { get; }

    /// <summary>Total bytes of the device-writable buffers.</summary>
    public uint WritableBytes { get; }

    public ReadOnlySpan<Descriptor> Descriptors => _descriptors.AsSpan(0, _count);

    /// <summary>Gathers up to destination.Length bytes of the readable buffers; returns the count copied.</summary>
    public int GatherReadable(IGuestMemory memory, Span<byte> destination)
    {
        int copied = 0;
        foreach (Descriptor d in Descriptors)
        {
            if (d.IsWritable || copied == destination.Length)
            {
                break;
            }
            int take = (int)Math.Min(d.Length, (uint)(destination.Length - copied));
            ReadOnlySpan<byte> source = RingAccess.Field(memory, d.Address, (uint)take);
            source.CopyTo(destination[copied..]);
            copied += take;
        }
        return copied;
    }

    /// <summary>
    /// Scatters data into the writable buffers starting <paramref name="skipBytes"/> into them;
    /// returns the count written (less than data.Length when the buffers are full).
    /// </summary>
    public int ScatterWritable(IGuestMemory memory, ReadOnlySpan<byte> data, uint skipBytes = 0)
    {
        int written = 0;
        foreach (Descriptor d in Descriptors)
        {
            if (!d.IsWritable)
            {
                continue;
            }
            if (skipBytes >= d.Length)
            {
                skipBytes -= d.Length;
                continue;
            }
            uint room = d.Length - skipBytes;
            int take = (int)Math.Min(room, (uint)(data.Length - written));
            data.Slice(written, take).CopyTo(RingAccess.Field(memory, d.Address + skipBytes, (uint)take));
            skipBytes = 0;
            written += take;
            if (written == data.Length)
            {
                break;
            }
        }
        return written;
    }
}
