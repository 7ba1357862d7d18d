using System.Buffers.Binary;
using MiniVmm.Memory;

namespace MiniVmm.Machine.Boot;

/// <summary>
/// Intel MultiProcessor Specification 1.4 tables, which tell a guest without ACPI how many CPUs
/// and which interrupt wiring it has ("smpboot: Allowing N CPUs" in Linux). The floating pointer
/// (MP spec 4.1) sits at 0x9FC00, the last KiB of base memory, one of the places Linux scans
/// (arch/x86/kernel/mpparse.c, smp_scan_config); the configuration table (4.2, 4.3) follows it.
/// </summary>
public static class MpTable
{
    public const ulong FloatingPointerAddress = BootLayout.ReservedLowStart;
    public const ulong ConfigTableAddress = FloatingPointerAddress + FloatingPointerSize;

    /// <summary>APIC ids 0..N-1 for the CPUs, N for the IOAPIC, 0xFF is broadcast: at most 254 CPUs.</summary>
    public const int MaxCpuCount = 254;

    public const byte PciBusId = 0;
    public const byte IsaBusId = 1;

    // Versions of KVM's in-kernel LAPIC (APIC_VERSION 0x14) and IOAPIC (0x11).
    public const byte LocalApicVersion = 0x14;
    public const byte IoApicVersion = 0x11;

    public const int FloatingPointerSize = 16;   // MP spec 4.1, table 4-1
    public const int ConfigHeaderSize = 44;      // 4.2, table 4-2
    public const int ProcessorEntrySize = 20;    // 4.3.1, table 4-4
    public const int OtherEntrySize = 8;         // bus 4.3.2, I/O APIC 4.3.3, interrupts 4.3.4 / 4.3.5

    // Entry types (table 4-3).
    public const byte ProcessorEntry = 0, BusEntry = 1, IoApicEntry = 2, IoInterruptEntry = 3, LocalInterruptEntry = 4;

    // Interrupt types (table 4-10).
    public const byte InterruptInt = 0, InterruptNmi = 1, InterruptExtInt = 3;

    public const int IsaIrqCount = 16;

    /// <summary>
    /// The IOAPIC pin of ISA IRQ 0 (the PIT). KVM's default GSI routing (arch/x86/kvm/irq_comm.c,
    /// default_routing) wires GSI n to IOAPIC pin n, and its in-kernel PIT raises GSI 0, so the
    /// tables say pin 0, as Firecracker's do. A PC, and QEMU (which re-routes GSI 0 to pin 2),
    /// say pin 2; change this only together with such a routing table.
    /// </summary>
    public const byte TimerPin = 0;

    /// <summary>Bytes of the base configuration table for cpuCount CPUs.</summary>
    public static int ConfigTableSize(int cpuCount) =>
        ConfigHeaderSize + cpuCount * ProcessorEntrySize + OtherEntrySize * (EntryCount(cpuCount) - cpuCount);

    /// <summary>Writes both structures for CPUs 0..cpuCount-1 (CPU 0 the bootstrap processor).</summary>
    public static void Write(IGuestMemory memory, int cpuCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(cpuCount, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cpuCount, MaxCpuCount);
        int size = ConfigTableSize(cpuCount);
        Span<byte> table = memory.GetSpan(new GuestAddress(ConfigTableAddress), (ulong)size);
        table.Clear();
        WriteConfigTable(table, cpuCount);

        Span<byte> fp = memory.GetSpan(new GuestAddress(FloatingPointerAddress), FloatingPointerSize);
        fp.Clear();
        "_MP_"u8.CopyTo(fp);
        BinaryPrimitives.WriteUInt32LittleEndian(fp[4..], (uint)ConfigTableAddress); // PHYSICAL ADDRESS POINTER
        fp[8] = 1;    // LENGTH in 16-byte units
        fp[9] = 4;    // SPEC_REV 1.4
        // Feature bytes 1-5 stay 0: a configuration table is present (byte 1 = 0), and
        // IMCRP (byte 2 bit 7) is clear, i.e. virtual wire mode, no IMCR to program.
        fp[10] = Checksum(fp);
    }

    private static int EntryCount(int cpuCount) =>
        cpuCount + 2 /* buses */ + 1 /* IOAPIC */ + IsaIrqCount + 2 /* LINT0, LINT1 */;

    private static void WriteConfigTable(Span<byte> table, int cpuCount)
    {
        byte ioApicId = (byte)cpuCount;
        "PCMP"u8.CopyTo(table);
        BinaryPrimitives.WriteUInt16LittleEndian(table[4..], (ushort)table.Length); // BASE TABLE LENGTH
        table[6] = 4; // SPEC_REV 1.4
        "MINIVMM "u8.CopyTo(table[8..]);      // OEM ID, 8 bytes
        "MINIVMM     "u8.CopyTo(table[16..]); // PRODUCT ID, 12 bytes
        BinaryPrimitives.WriteUInt16LittleEndian(table[34..], (ushort)EntryCount(cpuCount));
        BinaryPrimitives.WriteUInt32LittleEndian(table[36..], (uint)BootLayout.LocalApicAddress);

        // Entries in ascending type order, as the spec lays them out (4.3).
        int at = ConfigHeaderSize;
        for (int cpu = 0; cpu < cpuCount; cpu++)
        {
            Span<byte> e = table.Slice(at, ProcessorEntrySize);
            e[0] = ProcessorEntry;
            e[1] = (byte)cpu;                     // LOCAL APIC ID
            e[2] = LocalApicVersion;
            e[3] = (byte)(cpu == 0 ? 0b11 : 0b01); // CPU FLAGS: EN, and BP for the bootstrap processor
            BinaryPrimitives.WriteUInt32LittleEndian(e[4..], 0x600);  // CPU SIGNATURE: family 6
            BinaryPrimitives.WriteUInt32LittleEndian(e[8..], 0x201);  // FEATURE FLAGS: FPU, APIC (CPUID.1:EDX)
            at += ProcessorEntrySize;
        }
        at = WriteBus(table, at, PciBusId, "PCI   "u8);
        at = WriteBus(table, at, IsaBusId, "ISA   "u8);

        Span<byte> io = table.Slice(at, OtherEntrySize);
        io[0] = IoApicEntry;
        io[1] = ioApicId;
        io[2] = IoApicVersion;
        io[3] = 1; // I/O APIC FLAGS: EN
        BinaryPrimitives.WriteUInt32LittleEndian(io[4..], (uint)BootLayout.IoApicAddress);
        at += OtherEntrySize;

        // ISA IRQ n -> IOAPIC pin n, as KVM's default routing wires them (see TimerPin).
        for (byte irq = 0; irq < IsaIrqCount; irq++)
            at = WriteInterrupt(table, at, IoInterruptEntry, InterruptInt, IsaBusId, irq, ioApicId, irq == 0 ? TimerPin : irq);
        // LINT0 is the 8259's ExtINT (virtual wire), LINT1 is NMI, on every local APIC (0xFF).
        at = WriteInterrupt(table, at, LocalInterruptEntry, InterruptExtInt, IsaBusId, 0, 0xFF, 0);
        at = WriteInterrupt(table, at, LocalInterruptEntry, InterruptNmi, IsaBusId, 0, 0xFF, 1);

        table[7] = Checksum(table); // CHECKSUM over the base table
    }

    private static int WriteBus(Span<byte> table, int at, byte id, ReadOnlySpan<byte> type)
    {
        table[at] = BusEntry;
        table[at + 1] = id;
        type.CopyTo(table[(at + 2)..]); // BUS TYPE STRING, 6 bytes (table 4-8)
        return at + OtherEntrySize;
    }

    // Flags 0: polarity and trigger "conform to the specifications of the bus" (table 4-11).
    private static int WriteInterrupt(Span<byte> table, int at, byte entry, byte type, byte bus, byte busIrq, byte destId, byte destPin)
    {
        table[at] = entry;
        table[at + 1] = type;
        table[at + 4] = bus;
        table[at + 5] = busIrq;
        table[at + 6] = destId;
        table[at + 7] = destPin;
        return at + OtherEntrySize;
    }

    /// <summary>The byte that makes all bytes of the structure sum to zero (mod 256), CHECKSUM left 0.</summary>
    private static byte Checksum(ReadOnlySpan<byte> bytes)
    {
        byte sum = 0;
        foreach (byte b in bytes) sum += b;
        return (byte)-sum;
    }
}
