using System.Buffers.Binary;
using MiniVmm.Machine.Devices;

namespace MiniVmm.Machine.Boot.Acpi;

/// <summary>
/// The Multiple APIC Description Table (ACPI 6.5, 5.2.12): one Processor Local APIC per CPU (APIC id =
/// index), the IOAPIC (id = CPU count) with GSI base 0, two interrupt source overrides and the LINT1 NMI.
/// Debian's kernels are built without CONFIG_X86_MPPARSE, so this, not the MP table, is what tells them
/// how many CPUs there are ("smpboot: Allowing N CPUs").
/// </summary>
public static class Madt
{
    public const byte Revision = 4;

    // Interrupt controller structure types and sizes (5.2.12, table 5.45 and following).
    public const byte LocalApicType = 0, IoApicType = 1, InterruptSourceOverrideType = 2, LocalApicNmiType = 4;
    public const int LocalApicLength = 8, IoApicLength = 12, InterruptSourceOverrideLength = 10, LocalApicNmiLength = 6;

    /// <summary>MPS INTI flags (table 5.50): polarity active high (01), trigger edge (01 &lt;&lt; 2) or level (11 &lt;&lt; 2).</summary>
    public const ushort EdgeActiveHigh = 0b0101, LevelActiveHigh = 0b1101;

    public const int OverrideCount = 2;

    public static int Size(int cpuCount) =>
        AcpiTableHeader.Size + 8 + cpuCount * LocalApicLength + IoApicLength + OverrideCount * InterruptSourceOverrideLength + LocalApicNmiLength;

    public static void Write(Span<byte> madt, int cpuCount)
    {
        if (madt.Length != Size(cpuCount)) throw new ArgumentException($"the MADT for {cpuCount} CPUs is {Size(cpuCount)} bytes", nameof(madt));
        AcpiTableHeader.Write(madt, "APIC"u8, Revision);
        BinaryPrimitives.WriteUInt32LittleEndian(madt[36..], (uint)BootLayout.LocalApicAddress); // Local Interrupt Controller Address
        BinaryPrimitives.WriteUInt32LittleEndian(madt[40..], 1); // Flags: PCAT_COMPAT, there is an 8259 pair
        int at = AcpiTableHeader.Size + 8;
        for (int cpu = 0; cpu < cpuCount; cpu++, at += LocalApicLength)
        {
            madt[at] = LocalApicType;
            madt[at + 1] = LocalApicLength;
            madt[at + 2] = (byte)cpu;                                      // ACPI Processor UID
            madt[at + 3] = (byte)cpu;                                      // APIC ID
            BinaryPrimitives.WriteUInt32LittleEndian(madt[(at + 4)..], 1); // Flags: Enabled
        }
        madt[at] = IoApicType;
        madt[at + 1] = IoApicLength;
        madt[at + 2] = (byte)cpuCount;                                                          // I/O APIC ID
        BinaryPrimitives.WriteUInt32LittleEndian(madt[(at + 4)..], (uint)BootLayout.IoApicAddress);
        BinaryPrimitives.WriteUInt32LittleEndian(madt[(at + 8)..], 0);                          // Global System Interrupt Base
        at += IoApicLength;

        // ISA IRQ 0 -> GSI 0, edge, active high: KVM's default routing, which a PC (IRQ 0 -> pin 2) does not have.
        at = WriteOverride(madt, at, 0, MpTable.TimerPin, EdgeActiveHigh);
        // The SCI: level as ACPI has it, but active high, because KVM's IOAPIC takes the line level as
        // asserted-high whatever the polarity bit says (QEMU states the same override).
        at = WriteOverride(madt, at, AcpiFixedHardware.SciIrq, AcpiFixedHardware.SciIrq, LevelActiveHigh);

        madt[at] = LocalApicNmiType;
        madt[at + 1] = LocalApicNmiLength;
        madt[at + 2] = 0xFF;                                                                     // all processors
        BinaryPrimitives.WriteUInt16LittleEndian(madt[(at + 3)..], 0);                           // flags: conforms to bus
        madt[at + 5] = 1;                                                                        // LINT1
        AcpiTableHeader.Seal(madt);
    }

    private static int WriteOverride(Span<byte> madt, int at, byte isaIrq, uint gsi, ushort flags)
    {
        madt[at] = InterruptSourceOverrideType;
        madt[at + 1] = InterruptSourceOverrideLength;
        madt[at + 2] = 0;                                                 // Bus: ISA
        madt[at + 3] = isaIrq;                                            // Source
        BinaryPrimitives.WriteUInt32LittleEndian(madt[(at + 4)..], gsi);  // Global System Interrupt
        BinaryPrimitives.WriteUInt16LittleEndian(madt[(at + 8)..], flags);
        return at + InterruptSourceOverrideLength;
    }
}
