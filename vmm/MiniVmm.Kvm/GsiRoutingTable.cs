using MiniVmm.Native;
using MiniVmm.Native.Kvm;

namespace MiniVmm.Kvm;

/// <summary>
/// The VM's GSI routing table. KVM_SET_GSI_ROUTING replaces the whole table, so this object owns
/// it: the default PIC/IOAPIC routes for GSIs 0..23 (what KVM sets up with the irqchip) plus one
/// MSI route per allocated GSI. Thread-safe; changes are rare (guest MSI-X programming).
/// </summary>
public sealed class GsiRoutingTable
{
    /// <summary>GSIs 0..23 are the IOAPIC pins; MSI routes are allocated above them.</summary>
    public const uint FirstMsiGsi = 24;

    private readonly FileDescriptor _vmFd;
    private readonly object _lock = new();
    private readonly Dictionary<uint, KvmIrqRoutingEntry> _msiRoutes = new();
    private uint _nextGsi = FirstMsiGsi;

    internal GsiRoutingTable(FileDescriptor vmFd)
    {
        _vmFd = vmFd;
    }

    /// <summary>Reserves a GSI for an MSI route; it routes nowhere until <see cref="SetMsiRoute"/>.</summary>
    public uint AllocateMsiGsi()
    {
        lock (_lock) return _nextGsi++;
    }

    /// <summary>Routes <paramref name="gsi"/> to an MSI (address/data as the guest programmed them).</summary>
    public void SetMsiRoute(uint gsi, ulong address, uint data)
    {
        lock (_lock)
        {
            _msiRoutes[gsi] = KvmIrqRoutingEntry.Msi(gsi, address, data);
            Commit();
        }
    }

    /// <summary>Removes the route of <paramref name="gsi"/> (a masked or disabled vector).</summary>
    public void ClearRoute(uint gsi)
    {
        lock (_lock)
        {
            if (_msiRoutes.Remove(gsi)) Commit();
        }
    }

    private unsafe void Commit()
    {
        var entries = new List<KvmIrqRoutingEntry>(48 + _msiRoutes.Count);
        for (uint gsi = 0; gsi < 24; gsi++)
        {
            // Same defaults as the kernel's: ISA IRQs 0..15 on both PICs and the IOAPIC, 16..23 on the IOAPIC.
            if (gsi < 8) entries.Add(KvmIrqRoutingEntry.Irqchip(gsi, KvmIrqRoutingEntry.IrqchipPicMaster, gsi));
            else if (gsi < 16) entries.Add(KvmIrqRoutingEntry.Irqchip(gsi, KvmIrqRoutingEntry.IrqchipPicSlave, gsi - 8));
            entries.Add(KvmIrqRoutingEntry.Irqchip(gsi, KvmIrqRoutingEntry.IrqchipIoapic, gsi));
        }
        entries.AddRange(_msiRoutes.Values);

        int bytes = sizeof(KvmIrqRouting) + entries.Count * sizeof(KvmIrqRoutingEntry);
        byte[] buffer = new byte[bytes];
        fixed (byte* p = buffer)
        {
            // Safe: the buffer was sized for the header plus every entry written below.
            var header = (KvmIrqRouting*)p;
            header->Nr = (uint)entries.Count;
            var body = new Span<KvmIrqRoutingEntry>(p + sizeof(KvmIrqRouting), entries.Count);
            for (int i = 0; i < entries.Count; i++) body[i] = entries[i];
            Ioctl.Invoke(_vmFd, KvmIoctls.SetGsiRouting, "KVM_SET_GSI_ROUTING", p);
        }
    }
}
