using System.Buffers.Binary;
using MiniVmm.Virtio;

namespace MiniVmm.Fuzzing.Queues;

/// <summary>
/// The oracle's walk of a descriptor chain over a memory image, written from virtio 1.2 §2.7.5 and
/// §2.7.13 rather than from the device's code: head and next inside the queue; at most one indirect
/// table, only with VIRTIO_F_INDIRECT_DESC, never with NEXT, a non-empty multiple of 16 bytes, with no
/// indirect entry inside it (§2.7.5.3.1); a chain no longer than the queue size (§2.7.13.1), which
/// also ends loops; device-readable buffers before device-writable ones (§2.7.4.2); every buffer
/// inside guest memory; byte totals within 32 bits (the used ring's len is 32-bit). The rules are
/// checked in the order a device meets them walking the chain, so the first one broken is the
/// reason a device should give.
/// </summary>
public static class ReferenceWalk
{
    private const ushort Next = 1, Write = 2, Indirect = 4;

    public static ReferenceChain Walk(ReadOnlySpan<byte> image, ulong descriptorTable, int queueSize, ushort head, bool indirectAllowed)
    {
        var chain = new ReferenceChain { Head = head };
        if (head >= queueSize)
        {
            chain.Error = VirtioError.DescriptorIndexOutOfRange;
            return chain;
        }
        int index = head;
        for (int steps = 0; ; steps++)
        {
            if (steps >= queueSize)
            {
                chain.Error = VirtioError.ChainTooLong;
                return chain;
            }
            Entry(image, descriptorTable + 16UL * (ulong)index, out ulong address, out uint length, out ushort flags, out ushort next);
            if ((flags & Indirect) != 0)
            {
                if (!indirectAllowed || (flags & Next) != 0)
                {
                    chain.Error = VirtioError.BadIndirectDescriptor;
                    return chain;
                }
                WalkIndirect(image, chain, address, length, queueSize);
                return chain;
            }
            if (!Append(image, chain, address, length, flags, queueSize)) return chain;
            if ((flags & Next) == 0) return chain;
            if (next >= queueSize)
            {
                chain.Error = VirtioError.DescriptorIndexOutOfRange;
                return chain;
            }
            index = next;
        }
    }

    private static void WalkIndirect(ReadOnlySpan<byte> image, ReferenceChain chain, ulong table, uint tableBytes, int queueSize)
    {
        if (tableBytes == 0 || tableBytes % 16 != 0)
        {
            chain.Error = VirtioError.BadIndirectDescriptor;
            return;
        }
        if (!Inside(image, table, tableBytes))
        {
            chain.Error = VirtioError.AddressOutsideMemory;
            return;
        }
        chain.IndirectTables.Add(new ByteRange(table, tableBytes));
        int entries = (int)(tableBytes / 16);
        int index = 0;
        for (int steps = 0; ; steps++)
        {
            if (steps >= entries)
            {
                chain.Error = VirtioError.ChainTooLong;
                return;
            }
            Entry(image, table + 16UL * (ulong)index, out ulong address, out uint length, out ushort flags, out ushort next);
            if ((flags & Indirect) != 0)
            {
                chain.Error = VirtioError.BadIndirectDescriptor;
                return;
            }
            if (!Append(image, chain, address, length, flags, queueSize)) return;
            if ((flags & Next) == 0) return;
            if (next >= entries)
            {
                chain.Error = VirtioError.DescriptorIndexOutOfRange;
                return;
            }
            index = next;
        }
    }

    private static bool Append(ReadOnlySpan<byte> image, ReferenceChain chain, ulong address, uint length, ushort flags, int queueSize)
    {
        if (chain.Buffers.Count >= queueSize)
        {
            chain.Error = VirtioError.ChainTooLong;
            return false;
        }
        if (!Inside(image, address, length))
        {
            chain.Error = VirtioError.AddressOutsideMemory;
            return false;
        }
        bool writable = (flags & Write) != 0;
        if (writable)
        {
            chain.WritableBytes += length;
        }
        else if (chain.Buffers.Count > 0 && chain.Buffers[^1].Writable)
        {
            // An empty device-writable descriptor is still a device-writable element (§2.7.4.2).
            chain.Error = VirtioError.BadChainLayout;
            return false;
        }
        else
        {
            chain.ReadableBytes += length;
        }
        if (chain.ReadableBytes > uint.MaxValue || chain.WritableBytes > uint.MaxValue)
        {
            chain.Error = VirtioError.BadChainLayout;
            return false;
        }
        chain.Buffers.Add((new ByteRange(address, length), writable));
        return true;
    }

    private static bool Inside(ReadOnlySpan<byte> image, ulong address, ulong length) =>
        length <= (ulong)image.Length && address <= (ulong)image.Length - length;

    private static void Entry(ReadOnlySpan<byte> image, ulong at, out ulong address, out uint length, out ushort flags, out ushort next)
    {
        ReadOnlySpan<byte> e = image.Slice((int)at, 16);
        address = BinaryPrimitives.ReadUInt64LittleEndian(e);
        length = BinaryPrimitives.ReadUInt32LittleEndian(e[8..]);
        flags = BinaryPrimitives.ReadUInt16LittleEndian(e[12..]);
        next = BinaryPrimitives.ReadUInt16LittleEndian(e[14..]);
    }
}
