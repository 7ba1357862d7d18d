using System.Buffers.Binary;
using MiniVmm.Machine.Devices;

namespace MiniVmm.Machine.Boot.Acpi;

/// <summary>
/// The Fixed ACPI Description Table, revision 6 (ACPI 6.5, 5.2.9, table 5.9): where the DSDT and
/// FACS are, the fixed hardware (<see cref="AcpiFixedHardware"/>: PM1a event and control blocks, PM
/// timer, SCI on IRQ 9), the reset register (0xCF9 <- 6, <see cref="ResetControl"/>) and the CMOS
/// century byte. There is no SMI_CMD: the machine is always in ACPI mode, so ACPI_ENABLE is never needed.
/// A FADT never goes out without its DSDT: Linux reads the DSDT it names, and a FADT pointing at
/// nothing makes it parse whatever lies there.
/// </summary>
public static class Fadt
{
    public const int Length = 276;
    public const byte Revision = 6, MinorRevision = 5;

    // Field offsets (table 5.9).
    public const int FirmwareCtrlOffset = 36, DsdtOffset = 40, SciIntOffset = 46, SmiCmdOffset = 48,
        Pm1aEvtBlkOffset = 56, Pm1aCntBlkOffset = 64, PmTmrBlkOffset = 76, Pm1EvtLenOffset = 88,
        Pm1CntLenOffset = 89, PmTmrLenOffset = 91, PLvl2LatOffset = 96, PLvl3LatOffset = 98, CenturyOffset = 108,
        IapcBootArchOffset = 109, FlagsOffset = 112, ResetRegOffset = 116, ResetValueOffset = 128,
        MinorVersionOffset = 131, XFirmwareCtrlOffset = 132, XDsdtOffset = 140, XPm1aEvtBlkOffset = 148,
        XPm1aCntBlkOffset = 172, XPmTmrBlkOffset = 208;

    // Fixed feature flags (table 5.10).
    public const uint Wbinvd = 1 << 0, ProcC1 = 1 << 2, PwrButton = 1 << 4, SlpButton = 1 << 5, FixRtc = 1 << 6,
        TmrValExt = 1 << 8, ResetRegSup = 1 << 10, HwReducedAcpi = 1 << 20;

    /// <summary>
    /// WBINVD works; C1 (HLT) on every CPU; no fixed power or sleep button (there are none); RTC wake
    /// status not in PM1; a 32-bit PM timer; the reset register is supported. Not hardware-reduced: the
    /// PIT and the 8259s stay (Linux drops both in hardware-reduced mode).
    /// </summary>
    public const uint Flags = Wbinvd | ProcC1 | PwrButton | SlpButton | FixRtc | TmrValExt | ResetRegSup;

    /// <summary>IA-PC boot architecture flags (table 5.11): an 8042 is there (bit 1), VGA is not (bit 2).</summary>
    public const ushort IapcBootArch = (1 << 1) | (1 << 2);

    /// <summary>P_LVL2_LAT above 100 and P_LVL3_LAT above 1000 say C2 and C3 are not supported.</summary>
    public const ushort NoC2Latency = 0x0FFF, NoC3Latency = 0x0FFF;

    /// <summary>Generic Address Structure address space id 1: System I/O (5.2.3.2).</summary>
    public const byte SystemIoSpace = 1;

    /// <summary>Generic Address Structure access size 1: byte access.</summary>
    public const byte ByteAccess = 1;

    public static void Write(Span<byte> fadt, ulong facsAddress, ulong dsdtAddress)
    {
        if (fadt.Length != Length) throw new ArgumentException($"the FADT is {Length} bytes", nameof(fadt));
        if (dsdtAddress == 0) throw new ArgumentException("a FADT without a DSDT makes Linux parse whatever is at 0", nameof(dsdtAddress));
        AcpiTableHeader.Write(fadt, "FACP"u8, Revision);
        BinaryPrimitives.WriteUInt32LittleEndian(fadt[FirmwareCtrlOffset..], checked((uint)facsAddress));
        BinaryPrimitives.WriteUInt32LittleEndian(fadt[DsdtOffset..], checked((uint)dsdtAddress));
        BinaryPrimitives.WriteUInt16LittleEndian(fadt[SciIntOffset..], AcpiFixedHardware.SciIrq);
        BinaryPrimitives.WriteUInt32LittleEndian(fadt[SmiCmdOffset..], 0);
        BinaryPrimitives.WriteUInt32LittleEndian(fadt[Pm1aEvtBlkOffset..], AcpiFixedHardware.Pm1aEventBlock);
        BinaryPrimitives.WriteUInt32LittleEndian(fadt[Pm1aCntBlkOffset..], AcpiFixedHardware.Pm1aControlBlock);
        BinaryPrimitives.WriteUInt32LittleEndian(fadt[PmTmrBlkOffset..], AcpiFixedHardware.PmTimerBlock);
        fadt[Pm1EvtLenOffset] = AcpiFixedHardware.Pm1EventLength;
        fadt[Pm1CntLenOffset] = AcpiFixedHardware.Pm1ControlLength;
        fadt[PmTmrLenOffset] = AcpiFixedHardware.PmTimerLength;
        BinaryPrimitives.WriteUInt16LittleEndian(fadt[PLvl2LatOffset..], NoC2Latency);
        BinaryPrimitives.WriteUInt16LittleEndian(fadt[PLvl3LatOffset..], NoC3Latency);
        fadt[CenturyOffset] = CmosRtc.Century;
        BinaryPrimitives.WriteUInt16LittleEndian(fadt[IapcBootArchOffset..], IapcBootArch);
        BinaryPrimitives.WriteUInt32LittleEndian(fadt[FlagsOffset..], Flags);
        WriteIoAddress(fadt[ResetRegOffset..], ResetControl.Port, bits: 8, accessSize: ByteAccess);
        fadt[ResetValueOffset] = ResetControl.HardResetValue;
        fadt[MinorVersionOffset] = MinorRevision;
        // The 64-bit fields say the same as the 32-bit ones (ACPICA warns when they differ), but for
        // X_FIRMWARE_CTRL: with both set ACPICA installs the FACS twice, so it stays 0 (as QEMU leaves it).
        BinaryPrimitives.WriteUInt64LittleEndian(fadt[XDsdtOffset..], dsdtAddress);
        // Access size 0 ("undefined", the legacy blocks' own widths): ACPICA splits the event block into two 16-bit registers.
        WriteIoAddress(fadt[XPm1aEvtBlkOffset..], AcpiFixedHardware.Pm1aEventBlock, 8 * AcpiFixedHardware.Pm1EventLength, 0);
        WriteIoAddress(fadt[XPm1aCntBlkOffset..], AcpiFixedHardware.Pm1aControlBlock, 8 * AcpiFixedHardware.Pm1ControlLength, 0);
        WriteIoAddress(fadt[XPmTmrBlkOffset..], AcpiFixedHardware.PmTimerBlock, 8 * AcpiFixedHardware.PmTimerLength, 0);
        AcpiTableHeader.Seal(fadt);
    }

    /// <summary>A Generic Address Structure for an I/O port (5.2.3.2): space, bit width, bit offset 0, access size, address.</summary>
    private static void WriteIoAddress(Span<byte> gas, ushort port, int bits, byte accessSize)
    {
        gas[0] = SystemIoSpace;
        gas[1] = (byte)bits;
        gas[2] = 0;
        gas[3] = accessSize;
        BinaryPrimitives.WriteUInt64LittleEndian(gas[4..], port);
    }
}
