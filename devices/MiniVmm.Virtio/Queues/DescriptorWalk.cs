using System.Buffers.Binary;
using MiniVmm.Memory;

namespace MiniVmm.Virtio.Queues;

/// <summary>
/// Follows one chain through the descriptor table and at most one indirect table (virtio 1.2
/// §2.7.5.3), checking every rule a hostile driver could break: head and next in range, total
/// length at most the queue size (so loops end), no indirect inside indirect, no INDIRECT with
/// NEXT, readable before writable, every buffer inside guest RAM, byte totals below 2^32.
/// </summary>
internal static class DescriptorWalk
{
    private const int DescriptorBytes = 16;

    public static DescriptorChain Walk(IGuestMemory memory, SplitQueue queue, ushort head, Descriptor[] output, bool indirectAllowed)
    {
        int size = queue.Size;
        if (head >= size)
        {
            throw new VirtioDeviceException(VirtioError.DescriptorIndexOutOfRange, $"chain head {head} is outside the queue of {size}");
        }
        ReadOnlySpan<byte> table = RingAccess.Field(memory, queue.DescriptorTable, (ulong)size * DescriptorBytes);
        int count = 0;
        ulong readable = 0, writable = 0;
        int index = head;
        for (int steps = 0; ; steps++)
        {
            if (steps >= size)
            {
                throw new VirtioDeviceException(VirtioError.ChainTooLong, $"chain from head {head} is longer than the queue (a loop?)");
            }
            ReadEntry(table, index, out ulong address, out uint length, out VirtqDescFlags flags, out ushort next);
            if ((flags & VirtqDescFlags.Indirect) != 0)
            {
                if (!indirectAllowed)
                {
                    throw new VirtioDeviceException(VirtioError.BadIndirectDescriptor, "indirect descriptor without VIRTIO_F_INDIRECT_DESC");
                }
                if ((flags & VirtqDescFlags.Next) != 0)
                {
                    throw new VirtioDeviceException(VirtioError.BadIndirectDescriptor, "descriptor has both INDIRECT and NEXT");
                }
                WalkIndirect(memory, new GuestAddress(address), length, output, ref count, ref readable, ref writable);
                break;
            }
            Append(memory, output, ref count, ref readable, ref writable, address, length, flags);
            if ((flags & VirtqDescFlags.Next) == 0)
            {
                break;
            }
            if (next >= size)
            {
                throw new VirtioDeviceException(VirtioError.DescriptorIndexOutOfRange, $"next {next} is outside the queue of {size}");
            }
            index = next;
        }
        return new DescriptorChain(head, output, count, (uint)readable, (uint)writable);
    }

    private static void WalkIndirect(IGuestMemory memory, GuestAddress tableAddress, uint tableBytes, Descriptor[] output,
        ref int count, ref ulong readable, ref ulong writable)
    {
        if (tableBytes == 0 || tableBytes % DescriptorBytes != 0)
        {
            throw new VirtioDeviceException(VirtioError.BadIndirectDescriptor, $"indirect table length {tableBytes} is not a multiple of 16");
        }
        if (!memory.TryGetSpan(tableAddress, tableBytes, out Span<byte> table))
        {
            throw new VirtioDeviceException(VirtioError.AddressOutsideMemory, $"indirect table {tableAddress}+{tableBytes} is outside guest memory");
        }
        int entries = (int)(tableBytes / DescriptorBytes);
        int index = 0;
        for (int steps = 0; ; steps++)
        {
            if (steps >= entries)
            {
                throw new VirtioDeviceException(VirtioError.ChainTooLong, "indirect chain loops");
            }
            ReadEntry(table, index, out ulong address, out uint length, out VirtqDescFlags flags, out ushort next);
            if ((flags & VirtqDescFlags.Indirect) != 0)
            {
                // §2.7.5.3.1: "The driver MUST NOT set the VIRTQ_DESC_F_INDIRECT flag within an indirect descriptor".
                throw new VirtioDeviceException(VirtioError.BadIndirectDescriptor, "indirect descriptor inside an indirect table");
            }
            Append(memory, output, ref count, ref readable, ref writable, address, length, flags);
            if ((flags & VirtqDescFlags.Next) == 0)
            {
                return;
            }
            if (next >= entries)
            {
                throw new VirtioDeviceException(VirtioError.DescriptorIndexOutOfRange, $"indirect next {next} is outside the table of {entries}");
            }
            index = next;
        }
    }

    private static void Append(IGuestMemory memory, Descriptor[] output, ref int count, ref ulong readable, ref ulong writable,
        ulong address, uint length, VirtqDescFlags flags)
    {
        if (count >= output.Length)
        {
            // §2.7.5.3.1 / §2.7.13.1: a chain is never longer than the queue size.
            throw new VirtioDeviceException(VirtioError.ChainTooLong, $"chain is longer than the queue size {output.Length}");
        }
        if (!memory.IsValidRange(new GuestAddress(address), length))
        {
            throw new VirtioDeviceException(VirtioError.AddressOutsideMemory, $"buffer 0x{address:x}+{length} is outside guest memory");
        }
        bool isWritable = (flags & VirtqDescFlags.Write) != 0;
        if (isWritable)
        {
            writable += length;
        }
        else
        {
            if (count > 0 && output[count - 1].IsWritable)
            {
                // §2.7.4.2: "The driver MUST place any device-writable descriptor elements after any device-readable descriptor elements."
                // An empty writable descriptor counts too: the gathers stop at the first writable one.
                throw new VirtioDeviceException(VirtioError.BadChainLayout, "device-readable buffer after a device-writable one");
            }
            readable += length;
        }
        if (readable > uint.MaxValue || writable > uint.MaxValue)
        {
            throw new VirtioDeviceException(VirtioError.BadChainLayout, "chain length overflows 32 bits");
        }
        output[count++] = new Descriptor(new GuestAddress(address), length, isWritable);
    }

    private static void ReadEntry(ReadOnlySpan<byte> table, int index, out ulong address, out uint length,
        out VirtqDescFlags flags, out ushort next)
    {
        ReadOnlySpan<byte> entry = table.Slice(index * DescriptorBytes, DescriptorBytes);
        address = BinaryPrimitives.ReadUInt64LittleEndian(entry);
        length = BinaryPrimitives.ReadUInt32LittleEndian(entry[8..]);
        flags = (VirtqDescFlags)BinaryPrimitives.ReadUInt16LittleEndian(entry[12..]);
        next = BinaryPrimitives.ReadUInt16LittleEndian(entry[14..]);
    }
}
