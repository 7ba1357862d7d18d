using System.Text;
using MiniVmm.Machine.Boot;
using MiniVmm.Memory;

namespace MiniVmm.UnitTests.Boot;

/// <summary>
/// Intel MultiProcessor Specification 1.4, chapter 4. Linux finds the floating pointer by scanning
/// "the last 1K of system base memory" (spec 4: "a. In the first kilobyte of the Extended BIOS Data
/// Area (EBDA), or b. Within the last kilobyte of system base memory ... if the EBDA segment is
/// undefined, or c. In the BIOS ROM address space between 0F0000h and 0FFFFFh").
/// </summary>
public sealed class MpTableTests
{
    private readonly ArrayGuestMemory _memory = new(1 << 20);

    private int U8(ulong a) => _memory.GetSpan(new GuestAddress(a), 1)[0];
    private ushort U16(ulong a) => _memory.ReadU16(new GuestAddress(a));
    private uint U32(ulong a) => _memory.ReadU32(new GuestAddress(a));
    private string Text(ulong a, int n) => Encoding.ASCII.GetString(_memory.GetSpan(new GuestAddress(a), (ulong)n));

    private int Sum(ulong a, int n)
    {
        int sum = 0;
        foreach (byte b in _memory.GetSpan(new GuestAddress(a), (ulong)n)) sum += b;
        return sum & 0xFF;
    }

    /// <summary>Finds "_MP_" on a 16-byte boundary in [start, start + length), as Linux's smp_scan_config does.</summary>
    private ulong? Scan(ulong start, int length)
    {
        for (ulong a = start; a < start + (ulong)length; a += 16)
            if (Text(a, 4) == "_MP_") return a;
        return null;
    }

    [Fact]
    public void FloatingPointer_IsInTheLastKiBOfBaseMemory_WithValidChecksum()
    {
        MpTable.Write(_memory, 4);
        ulong? fp = Scan(639 * 0x400, 0x400);
        Assert.Equal(0x9FC00ul, fp);
        // Table 4-1: LENGTH (offset 8) in 16-byte units = 1; SPEC_REV (9) = 4 for 1.4.
        Assert.Equal(1, U8(0x9FC08));
        Assert.Equal(4, U8(0x9FC09));
        // "CHECKSUM ... All bytes specified by the length field, including CHECKSUM and reserved bytes, must add up to zero."
        Assert.Equal(0, Sum(0x9FC00, 16));
        // MP FEATURE INFORMATION BYTE 1 = 0: "the MP configuration table is present".
        Assert.Equal(0, U8(0x9FC0B));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(254)]
    public void ConfigTable_HeaderAndChecksum(int cpus)
    {
        MpTable.Write(_memory, cpus);
        uint table = U32(0x9FC04); // PHYSICAL ADDRESS POINTER
        Assert.Equal("PCMP", Text(table, 4));
        ushort length = U16(table + 4);
        // Table 4-2: 44-byte header; processor entries 20 bytes; 2 buses, 1 I/O APIC, 16 ISA IRQs, 2 local: 8 bytes each.
        Assert.Equal(44 + 20 * cpus + 8 * (2 + 1 + 16 + 2), length);
        Assert.Equal(4, U8(table + 6));                     // SPEC_REV
        Assert.Equal(0, Sum(table, length));               // CHECKSUM over the base table
        Assert.Equal(cpus + 21, U16(table + 34));           // ENTRY COUNT
        Assert.Equal(0xFEE00000u, U32(table + 36));         // ADDRESS OF LOCAL APIC
        Assert.True(table + length <= 0x100000, "the table stays in the reserved area below 1 MiB");
    }

    [Fact]
    public void ProcessorEntries_OnePerCpu_Cpu0IsTheBootstrapProcessor()
    {
        MpTable.Write(_memory, 3);
        ulong e = U32(0x9FC04) + 44;
        for (int cpu = 0; cpu < 3; cpu++, e += 20)
        {
            Assert.Equal(0, U8(e));              // ENTRY TYPE 0: processor
            Assert.Equal(cpu, U8(e + 1));        // LOCAL APIC ID
            Assert.Equal(cpu == 0 ? 0b11 : 0b01, U8(e + 3)); // CPU FLAGS: EN (bit 0), BP (bit 1)
        }
        Assert.Equal(1, U8(e)); // then the bus entries
    }

    [Fact]
    public void BusesIoApicAndInterrupts()
    {
        const int cpus = 2;
        MpTable.Write(_memory, cpus);
        ulong e = U32(0x9FC04) + 44 + 20 * cpus;
        // Bus entries (table 4-7): type 1, bus id, 6-byte type string.
        Assert.Equal((1, 0, "PCI   "), (U8(e), U8(e + 1), Text(e + 2, 6)));
        Assert.Equal((1, 1, "ISA   "), (U8(e + 8), U8(e + 9), Text(e + 10, 6)));
        e += 16;
        // I/O APIC entry (table 4-9): type 2, id = cpu count, flags EN, address 0xFEC00000.
        Assert.Equal(2, U8(e));
        Assert.Equal(cpus, U8(e + 1));
        Assert.Equal(1, U8(e + 3));
        Assert.Equal(0xFEC00000u, U32(e + 4));
        e += 8;

        // I/O interrupt entries (table 4-10): type 3, INT, source bus ISA (1), IRQ -> I/O APIC pin.
        var pins = new Dictionary<int, int>();
        for (int i = 0; i < 16; i++, e += 8)
        {
            Assert.Equal(3, U8(e));
            Assert.Equal(0, U8(e + 1));       // INT
            Assert.Equal(1, U8(e + 4));       // SOURCE BUS ID: ISA
            Assert.Equal(cpus, U8(e + 6));    // DESTINATION I/O APIC ID
            pins.Add(U8(e + 5), U8(e + 7));
        }
        // Identity, as KVM's default GSI routing wires ISA IRQs (its in-kernel PIT raises GSI 0 -> pin 0).
        for (int irq = 0; irq < 16; irq++) Assert.Equal(irq, pins[irq]);

        // Local interrupt entries (table 4-12): ExtINT on LINT0, NMI on LINT1, all local APICs (0xFF).
        Assert.Equal((4, 3, 0xFF, 0), (U8(e), U8(e + 1), U8(e + 6), U8(e + 7)));
        Assert.Equal((4, 1, 0xFF, 1), (U8(e + 8), U8(e + 9), U8(e + 14), U8(e + 15)));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(255)]
    public void CpuCountOutOfRange_Throws(int cpus)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MpTable.Write(_memory, cpus));
    }
}
