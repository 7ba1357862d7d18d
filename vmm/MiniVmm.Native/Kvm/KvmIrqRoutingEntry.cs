using System.Runtime.InteropServices;

namespace MiniVmm.Native.Kvm;

/// <summary>
/// struct kvm_irq_routing_entry with its union flattened: for type IRQCHIP, U0 = irqchip and
/// U1 = pin; for type MSI, U0 = address_lo, U1 = address_hi, U2 = data.
/// </summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KvmIrqRoutingEntry
{
    public const uint TypeIrqchip = 1, TypeMsi = 2;
    public const uint IrqchipPicMaster = 0, IrqchipPicSlave = 1, IrqchipIoapic = 2;

    public uint Gsi;
    public uint Type;
    public uint Flags;
    public uint Pad;
    public uint U0, U1, U2, U3;
    public fixed uint UPad[4];

    public static KvmIrqRoutingEntry Irqchip(uint gsi, uint chip, uint pin) =>
        new() { Gsi = gsi, Type = TypeIrqchip, U0 = chip, U1 = pin };

    public static KvmIrqRoutingEntry Msi(uint gsi, ulong address, uint data) =>
        new() { Gsi = gsi, Type = TypeMsi, U0 = (uint)address, U1 = (uint)(address >> 32), U2 = data };
}
