using System.Buffers.Binary;

namespace MiniVmm.Machine.Boot.Acpi;

/// <summary>
/// Resource data descriptors (ACPI 6.5, 6.4) for a _CRS ResourceTemplate: what a PCI host bridge
/// decodes (bus numbers, I/O and memory windows) and what a legacy device uses (I/O ports).
/// </summary>
public static class AmlResource
{
    // Large resource item names (6.4.3, table 6.39).
    public const byte DWordAddressSpace = 0x87, WordAddressSpace = 0x88, QWordAddressSpace = 0x8A;

    // Resource Type of an address space descriptor (table 6.44).
    public const byte MemoryRange = 0, IoRange = 1, BusNumberRange = 2;

    /// <summary>General flags _MAF | _MIF, positive decode, "produces and consumes": a bridge's window.</summary>
    public const byte ProducerMinMaxFixed = 0x0C;

    /// <summary>I/O type-specific flags: _RNG = 3, ISA and non-ISA ranges.</summary>
    public const byte IoEntireRange = 0x03;

    /// <summary>Memory type-specific flags: _RW read-write, _MEM non-cacheable (MMIO).</summary>
    public const byte MemoryNonCacheableReadWrite = 0x01;

    /// <summary>ASL IO (Decode16, min, max, alignment, length): small item 0x47, I/O Port Descriptor (6.4.2.5).</summary>
    public static byte[] IoPort(ushort minimum, ushort maximum, byte alignment, byte length)
    {
        byte[] d = [0x47, 0x01, 0, 0, 0, 0, alignment, length]; // information bit 0: 16-bit decode
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(2), minimum);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(4), maximum);
        return d;
    }

    /// <summary>ASL WordBusNumber (ResourceProducer, MinFixed, MaxFixed, PosDecode, 0, min, max, 0, len) (6.4.3.5.3).</summary>
    public static byte[] WordBusNumber(ushort minimum, ushort maximum) => Word(BusNumberRange, 0, minimum, maximum);

    /// <summary>ASL WordIO (ResourceProducer, MinFixed, MaxFixed, PosDecode, EntireRange, 0, min, max, 0, len).</summary>
    public static byte[] WordIo(ushort minimum, ushort maximum) => Word(IoRange, IoEntireRange, minimum, maximum);

    /// <summary>ASL DWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0, min, max, 0, len) (6.4.3.5.2).</summary>
    public static byte[] DWordMemory(uint minimum, uint maximum)
    {
        if (maximum < minimum) throw new ArgumentException("maximum below minimum");
        var d = new byte[3 + 23];
        Header(d, DWordAddressSpace, MemoryRange, MemoryNonCacheableReadWrite);
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(6), 0);                         // _GRA
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(10), minimum);                  // _MIN
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(14), maximum);                  // _MAX
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(18), 0);                        // _TRA
        BinaryPrimitives.WriteUInt32LittleEndian(d.AsSpan(22), maximum - minimum + 1);    // _LEN
        return d;
    }

    /// <summary>ASL QWordMemory (ResourceProducer, PosDecode, MinFixed, MaxFixed, NonCacheable, ReadWrite, 0, min, max, 0, len) (6.4.3.5.1).</summary>
    public static byte[] QWordMemory(ulong minimum, ulong maximum)
    {
        if (maximum < minimum) throw new ArgumentException("maximum below minimum");
        var d = new byte[3 + 43];
        Header(d, QWordAddressSpace, MemoryRange, MemoryNonCacheableReadWrite);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(6), 0);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(14), minimum);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(22), maximum);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(30), 0);
        BinaryPrimitives.WriteUInt64LittleEndian(d.AsSpan(38), maximum - minimum + 1);
        return d;
    }

    /// <summary>End Tag (6.4.2.9), checksum 0.</summary>
    public static byte[] EndTag() => [0x79, 0x00];

    private static byte[] Word(byte resourceType, byte typeFlags, ushort minimum, ushort maximum)
    {
        if (maximum < minimum) throw new ArgumentException("maximum below minimum");
        var d = new byte[3 + 13];
        Header(d, WordAddressSpace, resourceType, typeFlags);
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(6), 0);                                 // _GRA
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(8), minimum);                           // _MIN
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(10), maximum);                          // _MAX
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(12), 0);                                // _TRA
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(14), (ushort)(maximum - minimum + 1));  // _LEN
        return d;
    }

    // Large item: tag, 16-bit length of what follows, resource type, general flags, type-specific flags.
    private static void Header(byte[] d, byte tag, byte resourceType, byte typeFlags)
    {
        d[0] = tag;
        BinaryPrimitives.WriteUInt16LittleEndian(d.AsSpan(1), (ushort)(d.Length - 3));
        d[3] = resourceType;
        d[4] = ProducerMinMaxFixed;
        d[5] = typeFlags;
    }
}
