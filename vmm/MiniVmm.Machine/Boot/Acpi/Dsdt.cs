using MiniVmm.Machine.Devices;
using MiniVmm.Machine.Pci;
using static MiniVmm.Machine.Boot.Acpi.Aml;

namespace MiniVmm.Machine.Boot.Acpi;

/// <summary>
/// The Differentiated System Description Table's definition block (ACPI 6.5, 5.2.11.1): the ACPI
/// namespace Linux loads once the FADT leads it here. In ASL:
/// <code>
/// Scope (\_SB) {
///   Device (PCI0) {                      // the PCI host bridge: without it ACPI hides the PCI bus
///     Name (_HID, EisaId ("PNP0A03")); Name (_UID, 0); Name (_SEG, 0); Name (_BBN, 0)
///     Name (_CRS, ResourceTemplate () {
///       WordBusNumber (0, 0)              // bus 0 only
///       IO (Decode16, 0x0CF8, 0x0CF8, 1, 8)
///       WordIO (0x0000 - 0x0CF7)  WordIO (0x0D00 - 0xFFFF)
///       DWordMemory (0xC0000000 - 0xFEBFFFFF)   // where BARs go, below the IOAPIC
///     })
///   }
///   Device (RTC) { Name (_HID, EisaId ("PNP0B00")); Name (_CRS, ResourceTemplate () { IO (Decode16, 0x70, 0x70, 1, 2) }) }
///   Device (PEVT) { Name (_HID, "QEMU0001"); Name (_STA, 0x0F); Name (_CRS, ResourceTemplate () { IO (Decode16, 0x505, 0x505, 1, 1) }) }
/// }
/// Name (_S5, Package () { 5, 5, 0, 0 })  // soft off: SLP_TYPa, SLP_TYPb
/// </code>
/// The RTC has no IRQ in its _CRS: MiniVmm does not raise IRQ 8, and without one Linux's rtc-cmos
/// runs without alarms instead of waiting for interrupts that never come.
/// </summary>
public static class Dsdt
{
    /// <summary>The definition block's revision: 2 and up make AML integers 64 bits wide (5.2.11.1).</summary>
    public const byte Revision = 2;

    public static byte[] DefinitionBlock() =>
    [
        .. Scope("\\_SB",
            Device("PCI0",
                Name("_HID", EisaId("PNP0A03")),
                Name("_UID", Integer(0)),
                Name("_SEG", Integer(0)),
                Name("_BBN", Integer(0)),
                Name("_CRS", ResourceTemplate(
                    AmlResource.WordBusNumber(0, 0),
                    AmlResource.IoPort(PciHostBridge.ConfigAddressPort, PciHostBridge.ConfigAddressPort, 1, 8),
                    AmlResource.WordIo(0x0000, PciHostBridge.ConfigAddressPort - 1),
                    AmlResource.WordIo(0x0D00, 0xFFFF),
                    AmlResource.DWordMemory(BootLayout.PciMmioWindowStart, BootLayout.PciMmioWindowEnd)))),
            Device("RTC",
                Name("_HID", EisaId("PNP0B00")),
                Name("_CRS", ResourceTemplate(AmlResource.IoPort(CmosRtc.IndexPort, CmosRtc.IndexPort, 1, CmosRtc.PortCount)))),
            Device("PEVT",
                Name("_HID", String("QEMU0001")),
                Name("_STA", Integer(0x0F)), // present, enabled, shown, functioning
                Name("_CRS", ResourceTemplate(AmlResource.IoPort(PvPanic.Port, PvPanic.Port, 1, 1))))),
        .. Name("_S5", PackageOf(
            Integer(AcpiFixedHardware.SoftOffSleepType),
            Integer(AcpiFixedHardware.SoftOffSleepType),
            Integer(0),
            Integer(0))),
    ];
}
