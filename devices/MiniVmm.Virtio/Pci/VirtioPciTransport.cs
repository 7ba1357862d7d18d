using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Virtio.Queues;
using static MiniVmm.Virtio.Pci.VirtioPciLayout;

namespace MiniVmm.Virtio.Pci;

/// <summary>
/// The modern virtio-pci transport (virtio 1.2 §4.1) for one device: a PCI function whose BAR 0
/// holds the common, ISR, device and notify regions and the MSI-X table and PBA, all described by
/// vendor capabilities (plus VIRTIO_PCI_CAP_PCI_CFG). Implements the device's interrupt interface.
/// </summary>
public sealed class VirtioPciTransport : IPciDevice, IVirtioInterrupts
{
    private const ushort CommandMemory = 1 << 1;
    private const ushort CommandBusMaster = 1 << 2;
    private const ushort MsixEnable = 1 << 15;
    private const ushort MsixFunctionMask = 1 << 14;

    private readonly IVirtioDevice _device;
    private readonly PciConfigSpace _config = new();
    private readonly VirtioPciCommonConfig _common;
    private readonly MsixTable _msix;
    private readonly Lock _access = new(); // serialises vCPUs' config and BAR accesses; workers never take it
    private PciBar[] _bars = [];
    private int _isr;
    private long _ignoredNotifications;
    private VirtioFailure? _lastFailure;
    private readonly Lock _failureLock = new();

    public VirtioPciTransport(IVirtioDevice device, IMsiInterrupts msi, IGuestMemory memory, GuestAddress barAddress)
    {
        _device = device;
        _msix = new MsixTable(device.Queues.Count + 1, msi);
        _common = new VirtioPciCommonConfig(device, memory, _msix.VectorCount, this);
        BuildConfigSpace();
        AssignBar(Bar, barAddress);
        device.Bind(this);
    }

    public event Action? BarsChanged;

    /// <summary>Raised when the device enters DEVICE_NEEDS_RESET, with the reason (for the log).</summary>
    public event Action<VirtioFailure>? NeedsReset;

    public ushort Command => _config.Read16(PciConfigSpace.CommandOffset);

    public bool MemoryEnabled => (Command & CommandMemory) != 0;

    /// <summary>Bus Master Enable: while clear the device must not access guest memory (PCI 3.0 §6.2.2).</summary>
    public bool BusMasterEnabled => (Command & CommandBusMaster) != 0;

    public IReadOnlyList<PciBar> Bars => Volatile.Read(ref _bars);

    public GuestAddress BarAddress =>
        new(((ulong)_config.Read32(PciConfigSpace.Bar0Offset + 4) << 32) | (_config.Read32(PciConfigSpace.Bar0Offset) & ~0xFUL));

    public VirtioDeviceStatus Status => _common.Status;

    public ulong DriverFeatures => _common.DriverFeatures;

    /// <summary>Why the device last entered DEVICE_NEEDS_RESET, if it did.</summary>
    public VirtioFailure? LastFailure
    {
        get { lock (_failureLock) return _lastFailure; }
    }

    /// <summary>Notify writes the transport refused (unknown or disabled queue, or before DRIVER_OK).</summary>
    public long IgnoredNotifications => Interlocked.Read(ref _ignoredNotifications);

    public int QueueCount => _device.Queues.Count;

    /// <summary>The guest-physical address whose write notifies a queue (for KVM_IOEVENTFD; §4.1.4.4).</summary>
    public GuestAddress NotifyAddress(int queueIndex) =>
        BarAddress + (ulong)(NotifyOffset + queueIndex * NotifyOffMultiplier);

    /// <summary>Bytes written by a notify (the driver writes the 16-bit queue index; §4.1.5.2).</summary>
    public const int NotifyWriteBytes = 2;

    public void AssignBar(int bar, GuestAddress address)
    {
        if (bar != Bar)
        {
            throw new ArgumentOutOfRangeException(nameof(bar), "only BAR 0 is implemented");
        }
        if ((address.Value & (BarSizeBytes - 1)) != 0)
        {
            throw new ArgumentException($"BAR address {address} is not aligned to its size 0x{BarSizeBytes:x}", nameof(address));
        }
        _config.Set32(PciConfigSpace.Bar0Offset, (uint)address.Value | 0x4); // 64-bit memory BAR
        _config.Set32(PciConfigSpace.Bar0Offset + 4, (uint)(address.Value >> 32));
        OnBarsChanged();
    }

    public uint ReadConfig(int offset, int size)
    {
        lock (_access)
        {
            return ReadConfigLocked(offset, size);
        }
    }

    public void WriteConfig(int offset, int size, uint value)
    {
        lock (_access)
        {
            WriteConfigLocked(offset, size, value);
        }
    }

    public void ReadBar(int bar, ulong offset, Span<byte> data)
    {
        lock (_access)
        {
            ReadBarLocked(bar, offset, data);
        }
    }

    public void WriteBar(int bar, ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_access)
        {
            WriteBarLocked(bar, offset, data);
        }
    }

    private uint ReadConfigLocked(int offset, int size)
    {
        if (PciConfigSpace.IsValidAccess(offset, size) && offset >= CapPciCfg + 16 && offset < CapPciCfg + 20)
        {
            AccessThroughPciCfg(write: false);
        }
        return _config.Read(offset, size);
    }

    private void WriteConfigLocked(int offset, int size, uint value)
    {
        ushort oldCommand = Command;
        GuestAddress oldBar = BarAddress;
        if (!_config.Write(offset, size, value))
        {
            return;
        }
        if (offset >= CapMsix + 2 && offset < CapMsix + 4 || offset == CapMsix && size == 4)
        {
            ushort control = _config.Read16(CapMsix + 2);
            _msix.SetControl((control & MsixEnable) != 0, (control & MsixFunctionMask) != 0);
        }
        if (offset >= CapPciCfg + 16 && offset < CapPciCfg + 20)
        {
            AccessThroughPciCfg(write: true);
        }
        if (((oldCommand ^ Command) & CommandBusMaster) != 0)
        {
            _device.SetBusMaster(BusMasterEnabled);
        }
        if (oldCommand != Command || oldBar != BarAddress)
        {
            OnBarsChanged();
        }
    }

    private void ReadBarLocked(int bar, ulong offset, Span<byte> data)
    {
        data.Clear();
        if (!TryLocate(bar, offset, data.Length, out int region, out int inner))
        {
            return;
        }
        switch (region)
        {
            case CommonOffset: _common.Read(inner, data); break;
            case IsrOffset:
                // §4.1.4.5.1: reading the ISR status resets it to 0.
                if (inner == 0 && data.Length >= 1) { data[0] = (byte)Interlocked.Exchange(ref _isr, 0); }
                break;
            case DeviceOffset:
                if (inner < _device.ConfigSizeBytes) { _device.ReadConfig(inner, data[..Math.Min(data.Length, _device.ConfigSizeBytes - inner)]); }
                break;
            case MsixTableOffset: _msix.ReadTable(inner, data); break;
            case MsixPbaOffset: _msix.ReadPba(inner, data); break;
            default: break; // the notify region reads as 0
        }
    }

    private void WriteBarLocked(int bar, ulong offset, ReadOnlySpan<byte> data)
    {
        if (!TryLocate(bar, offset, data.Length, out int region, out int inner))
        {
            return;
        }
        switch (region)
        {
            case CommonOffset: _common.Write(inner, data); break;
            case DeviceOffset:
                if (inner < _device.ConfigSizeBytes) { _device.WriteConfig(inner, data[..Math.Min(data.Length, _device.ConfigSizeBytes - inner)]); }
                break;
            case NotifyOffset: Notify(inner); break;
            case MsixTableOffset: _msix.WriteTable(inner, data); break;
            default: break; // ISR and PBA are read-only
        }
    }

    public void SignalQueue(int queueIndex)
    {
        Interlocked.Or(ref _isr, 1);
        if ((uint)queueIndex < (uint)_device.Queues.Count)
        {
            SignalVector(_device.Queues[queueIndex].MsixVector);
        }
    }

    public void SignalConfigurationChange()
    {
        _common.BumpGeneration();
        Interlocked.Or(ref _isr, 2);
        SignalVector(_common.ConfigMsixVector);
    }

    public void MarkNeedsReset(VirtioFailure failure)
    {
        lock (_failureLock) _lastFailure = failure;
        // §2.1.2: the device stops using its queues until the driver resets it.
        _device.Halt(failure);
        if (_common.SetNeedsReset())
        {
            SignalConfigurationChange();
        }
        NeedsReset?.Invoke(failure);
    }

    /// <summary>Whether a vector has its pending bit set (tests; the guest reads the PBA).</summary>
    public bool IsMsixPending(int vector) => _msix.IsPending(vector);

    /// <summary>Splits a BAR access into its 4 KiB region and the offset inside it; false outside BAR 0.</summary>
    private static bool TryLocate(int bar, ulong offset, int length, out int region, out int inner)
    {
        region = inner = 0;
        if (bar != Bar || offset >= BarSizeBytes || (ulong)length > BarSizeBytes - offset)
        {
            return false;
        }
        region = (int)offset & ~(RegionLength - 1);
        inner = (int)offset - region;
        return true;
    }

    private void OnBarsChanged()
    {
        Volatile.Write(ref _bars, [new PciBar(Bar, BarAddress, BarSizeBytes, Is64Bit: true)]);
        BarsChanged?.Invoke();
    }

    private void SignalVector(ushort vector)
    {
        if (vector != SplitQueue.NoVector)
        {
            _msix.Signal(vector);
        }
    }

    private void Notify(int inner)
    {
        int queue = inner / NotifyOffMultiplier;
        bool known = inner % NotifyOffMultiplier == 0 && queue < _device.Queues.Count && _device.Queues[queue].IsEnabled
            && (_common.Status & VirtioDeviceStatus.DriverOk) != 0;
        if (!known)
        {
            Interlocked.Increment(ref _ignoredNotifications);
            return;
        }
        _device.NotifyQueue(queue);
    }

    /// <summary>§4.1.4.9: pci_cfg_data reaches BAR cap.bar at cap.offset for cap.length (1, 2 or 4) bytes.</summary>
    private void AccessThroughPciCfg(bool write)
    {
        int bar = _config.Bytes[CapPciCfg + 4];
        uint offset = _config.Read32(CapPciCfg + 8);
        uint length = _config.Read32(CapPciCfg + 12);
        if (length is not (1 or 2 or 4) || offset % length != 0)
        {
            return;
        }
        Span<byte> window = _config.Bytes.Slice(CapPciCfg + 16, (int)length);
        if (write)
        {
            WriteBarLocked(bar, offset, window);
        }
        else
        {
            ReadBarLocked(bar, offset, window);
        }
    }

    private void BuildConfigSpace()
    {
        _config.Set16(0x00, VendorId);
        _config.Set16(0x02, (ushort)(DeviceIdBase + _device.DeviceType));
        _config.Set16(0x06, 1 << 4); // status: capabilities list
        _config.Set8(0x08, RevisionId);
        _config.Set8(0x0B, ClassCodeFor(_device.DeviceType));
        _config.Set16(0x2C, SubsystemVendorId);
        _config.Set16(0x2E, SubsystemId);
        _config.Set8(0x34, CapMsix);
        _config.Set8(0x3C, 0xFF); // interrupt line: none routed; MSI-X only
        _config.AllowWrites(PciConfigSpace.CommandOffset, 2, 0x0406); // memory, bus master, INTx disable
        _config.AllowWrites(PciConfigSpace.Bar0Offset, 4, ~(uint)(BarSizeBytes - 1));
        _config.AllowWrites(PciConfigSpace.Bar0Offset + 4, 4);
        _config.AllowWrites(0x3C, 1);

        // MSI-X (PCI 3.0 §6.8.2): table size - 1, table and PBA in BAR 0.
        _config.Set8(CapMsix, 0x11);
        _config.Set8(CapMsix + 1, CapCommon);
        _config.Set16(CapMsix + 2, (ushort)(_msix.VectorCount - 1));
        _config.Set32(CapMsix + 4, MsixTableOffset | Bar);
        _config.Set32(CapMsix + 8, MsixPbaOffset | Bar);
        _config.AllowWrites(CapMsix + 2, 2, MsixEnable | MsixFunctionMask);

        WriteVirtioCap(CapCommon, CapNotify, CfgTypeCommon, 16, CommonOffset, CommonLength);
        WriteVirtioCap(CapNotify, CapIsr, CfgTypeNotify, 20, NotifyOffset, (uint)(_device.Queues.Count * NotifyOffMultiplier));
        _config.Set32(CapNotify + 16, NotifyOffMultiplier);
        WriteVirtioCap(CapIsr, CapDevice, CfgTypeIsr, 16, IsrOffset, IsrLength);
        WriteVirtioCap(CapDevice, CapPciCfg, CfgTypeDevice, 16, DeviceOffset, (uint)_device.ConfigSizeBytes);
        WriteVirtioCap(CapPciCfg, 0, CfgTypePci, 20, 0, 0);
        _config.AllowWrites(CapPciCfg + 4, 1);   // cap.bar
        _config.AllowWrites(CapPciCfg + 8, 8);   // cap.offset, cap.length
        _config.AllowWrites(CapPciCfg + 16, 4);  // pci_cfg_data
    }

    /// <summary>struct virtio_pci_cap (§4.1.4): vndr 0x09, next, len, cfg_type, bar, id, padding, offset, length.</summary>
    private void WriteVirtioCap(int at, int next, byte type, byte capLength, int offset, uint length)
    {
        _config.Set8(at, 0x09);
        _config.Set8(at + 1, (byte)next);
        _config.Set8(at + 2, capLength);
        _config.Set8(at + 3, type);
        _config.Set8(at + 4, Bar);
        _config.Set32(at + 8, (uint)offset);
        _config.Set32(at + 12, length);
    }

    private static byte ClassCodeFor(int deviceType) => deviceType == 1 ? (byte)0x02 : (byte)0xFF; // network controller
}
