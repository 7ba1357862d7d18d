using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Pci;

namespace MiniVmm.Testing;

/// <summary>
/// Plays a modern virtio-pci driver (virtio 1.2 §4.1.5, §3.1.1) against a transport through its
/// config space and BAR accessors only: walks the capability list like Linux's
/// virtio_pci_modern_dev probe, negotiates features, sets up queues and enables MSI-X.
/// </summary>
public sealed class VirtioPciDriver
{
    private readonly IPciDevice _pci;
    private ulong _nextFree = 0x10000;

    public VirtioPciDriver(IPciDevice pci, ArrayGuestMemory memory)
    {
        _pci = pci;
        Memory = memory;
        // As Linux's pci_enable_device and pci_set_master: memory decoding and bus mastering on.
        pci.WriteConfig(0x04, 2, 0x0006);
        int cap = (int)pci.ReadConfig(0x34, 1);
        for (int guard = 0; cap != 0 && guard < 48; guard++)
        {
            byte id = (byte)pci.ReadConfig(cap, 1);
            if (id == 0x11)
            {
                MsixCap = cap;
            }
            else if (id == 0x09)
            {
                byte type = (byte)pci.ReadConfig(cap + 3, 1);
                Caps[type] = (cap, (int)pci.ReadConfig(cap + 4, 1), pci.ReadConfig(cap + 8, 4), pci.ReadConfig(cap + 12, 4));
            }
            cap = (int)pci.ReadConfig(cap + 1, 1);
        }
    }

    public ArrayGuestMemory Memory { get; }

    /// <summary>cfg_type -> (config offset, bar, offset in bar, length).</summary>
    public Dictionary<int, (int CapOffset, int Bar, uint Offset, uint Length)> Caps { get; } = [];

    public int MsixCap { get; }

    public uint NotifyMultiplier => _pci.ReadConfig(Caps[2].CapOffset + 16, 4);

    public ulong CommonBase => Caps[1].Offset;

    // Common configuration (§4.1.4.3) by field offset.
    public uint Read(int field, int size)
    {
        Span<byte> b = stackalloc byte[size];
        _pci.ReadBar(Caps[1].Bar, Caps[1].Offset + (ulong)field, b);
        return size switch { 1 => b[0], 2 => BinaryPrimitives.ReadUInt16LittleEndian(b), _ => BinaryPrimitives.ReadUInt32LittleEndian(b) };
    }

    public void Write(int field, int size, uint value)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, value);
        _pci.WriteBar(Caps[1].Bar, Caps[1].Offset + (ulong)field, b[..size]);
    }

    public VirtioDeviceStatus Status => (VirtioDeviceStatus)Read(20, 1);

    public ulong DeviceFeatures
    {
        get
        {
            Write(0, 4, 0);
            ulong low = Read(4, 4);
            Write(0, 4, 1);
            return low | ((ulong)Read(4, 4) << 32);
        }
    }

    /// <summary>§3.1.1 steps 1-6; returns whether the device kept FEATURES_OK.</summary>
    public bool Negotiate(ulong features)
    {
        Write(20, 1, 0);
        Write(20, 1, (uint)VirtioDeviceStatus.Acknowledge);
        Write(20, 1, (uint)(VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver));
        Write(8, 4, 0);
        Write(12, 4, (uint)features);
        Write(8, 4, 1);
        Write(12, 4, (uint)(features >> 32));
        Write(20, 1, (uint)(VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver | VirtioDeviceStatus.FeaturesOk));
        return (Status & VirtioDeviceStatus.FeaturesOk) != 0;
    }

    public void DriverOk() =>
        Write(20, 1, (uint)(VirtioDeviceStatus.Acknowledge | VirtioDeviceStatus.Driver | VirtioDeviceStatus.FeaturesOk | VirtioDeviceStatus.DriverOk));

    /// <summary>Reserves guest memory for rings and buffers.</summary>
    public GuestAddress Allocate(ulong bytes, ulong align = 16)
    {
        _nextFree = (_nextFree + align - 1) & ~(align - 1);
        var address = new GuestAddress(_nextFree);
        _nextFree += bytes;
        return address;
    }

    /// <summary>§4.1.5.1.3: select, size, vector, ring addresses, enable.</summary>
    public VirtqueueDriver SetUpQueue(int index, ushort size, ushort vector = 0xFFFF)
    {
        Write(22, 2, (uint)index);
        Write(24, 2, size);
        Write(26, 2, vector);
        (ulong descBytes, ulong availBytes, ulong usedBytes) = VirtqueueDriver.RingBytes(size);
        GuestAddress desc = Allocate(descBytes), avail = Allocate(availBytes), used = Allocate(usedBytes, 4);
        SetQueueAddresses(desc, avail, used);
        Write(28, 2, 1);
        return new VirtqueueDriver(Memory, size, desc, avail, used);
    }

    public void SetQueueAddresses(GuestAddress desc, GuestAddress avail, GuestAddress used)
    {
        Write(32, 4, (uint)desc.Value); Write(36, 4, (uint)(desc.Value >> 32));
        Write(40, 4, (uint)avail.Value); Write(44, 4, (uint)(avail.Value >> 32));
        Write(48, 4, (uint)used.Value); Write(52, 4, (uint)(used.Value >> 32));
    }

    /// <summary>§4.1.5.2: write the queue index at notify base + queue_notify_off * multiplier.</summary>
    public void Notify(int queue)
    {
        Write(22, 2, (uint)queue);
        uint notifyOff = Read(30, 2);
        Span<byte> b = stackalloc byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(b, (ushort)queue);
        _pci.WriteBar(Caps[2].Bar, Caps[2].Offset + notifyOff * NotifyMultiplier, b);
    }

    /// <summary>Enables MSI-X and programs every vector unmasked with address 0xFEE00000 and data 0x40 + vector.</summary>
    public void EnableMsix(int vectors)
    {
        uint tableReg = _pci.ReadConfig(MsixCap + 4, 4);
        ulong table = (tableReg & ~7u);
        for (int v = 0; v < vectors; v++)
        {
            WriteMsixEntry(table, v, 0xFEE0_0000, (uint)(0x40 + v), masked: false);
        }
        _pci.WriteConfig(MsixCap + 2, 2, 0x8000 | _pci.ReadConfig(MsixCap + 2, 2) & 0x7FF);
    }

    public void WriteMsixEntry(ulong table, int vector, uint address, uint data, bool masked)
    {
        Span<byte> b = stackalloc byte[4];
        int bar = (int)(_pci.ReadConfig(MsixCap + 4, 4) & 7);
        foreach ((int off, uint val) in new[] { (0, address), (4, 0u), (8, data), (12, masked ? 1u : 0u) })
        {
            BinaryPrimitives.WriteUInt32LittleEndian(b, val);
            _pci.WriteBar(bar, table + (ulong)(16 * vector + off), b);
        }
    }

    public byte ReadIsr()
    {
        Span<byte> b = stackalloc byte[1];
        _pci.ReadBar(Caps[3].Bar, Caps[3].Offset, b);
        return b[0];
    }

    public void ReadDeviceConfig(int offset, Span<byte> data) => _pci.ReadBar(Caps[4].Bar, Caps[4].Offset + (ulong)offset, data);
}
