using System.Buffers.Binary;
using MiniVmm.Machine.Buses;
using MiniVmm.Virtio.Pci;

namespace MiniVmm.Machine.Pci;

/// <summary>
/// PCI configuration mechanism #1 (port 0xCF8 address, dword accesses only; 0xCFC..0xCFF data) for bus 0.
/// Offsets 0..3 are CONFIG_ADDRESS and 4..7 CONFIG_DATA; the machine maps only 0xCF8 itself and
/// 0xCFC..0xCFF here, so 0xCF9 can be the reset control register. Device 0 is
/// the host bridge itself; attached functions take devices 1, 2, ... (function 0 each). Config
/// reads of absent devices return all ones, which is how a guest learns a slot is empty.
/// </summary>
public sealed class PciHostBridge : IBusDevice
{
    public const ushort ConfigAddressPort = 0xCF8;
    public const ushort ConfigDataPort = 0xCFC;
    public const int ConfigDataOffset = 4;
    public const int ConfigDataLength = 4;
    public const int MaxDevices = 32;

    private const uint EnableBit = 0x8000_0000;

    private readonly object _lock = new();
    private readonly List<IPciDevice> _functions = new();
    private readonly byte[] _bridgeConfig = new byte[256];
    private uint _address;

    public PciHostBridge()
    {
        // 00:00.0 host bridge: vendor Intel, a device id with no Linux quirks, class 06/00/00.
        BinaryPrimitives.WriteUInt16LittleEndian(_bridgeConfig.AsSpan(0x00), 0x8086);
        BinaryPrimitives.WriteUInt16LittleEndian(_bridgeConfig.AsSpan(0x02), 0x0D57);
        _bridgeConfig[0x0B] = 0x06; // base class: bridge
        _bridgeConfig[0x0A] = 0x00; // subclass: host bridge
        _bridgeConfig[0x0E] = 0x00; // header type 0, single function
    }

    /// <summary>Functions attached so far, in device-number order (device = index + 1).</summary>
    public IReadOnlyList<IPciDevice> Functions
    {
        get { lock (_lock) return _functions.ToArray(); }
    }

    /// <summary>Adds a function at the next free device number and returns that number.</summary>
    public int Attach(IPciDevice function)
    {
        lock (_lock)
        {
            if (_functions.Count + 1 >= MaxDevices) throw new InvalidOperationException("PCI bus 0 is full");
            _functions.Add(function);
            return _functions.Count;
        }
    }

    public void Read(ulong offset, Span<byte> data)
    {
        lock (_lock)
        {
            if (offset < 4)
            {
                // Only a dword at 0xCF8 is CONFIG_ADDRESS (PCI 3.0, 3.2.2.3.2); narrower reads are not ours.
                if (offset == 0 && data.Length == 4) BinaryPrimitives.WriteUInt32LittleEndian(data, _address);
                else data.Fill(0xFF);
                return;
            }
            if (!TryDecode(offset, data.Length, out IPciDevice? function, out bool isBridge, out int register))
            {
                data.Fill(0xFF);
                return;
            }
            if (isBridge) CopyClamped(_bridgeConfig.AsSpan(register), data);
            else ReadFunctionConfig(function!, register, data);
        }
    }

    public void Write(ulong offset, ReadOnlySpan<byte> data)
    {
        lock (_lock)
        {
            if (offset < 4)
            {
                // "Anytime a host bridge sees a full DWORD I/O write from the host to CONFIG_ADDRESS, the bridge
                // must latch the data"; any other access is passed through (PCI 3.0, 3.2.2.3.2). Linux's type-1
                // probe writes a byte to 0xCFB first and then checks that a dword write reads back.
                if (offset == 0 && data.Length == 4) _address = BinaryPrimitives.ReadUInt32LittleEndian(data) & 0x80FF_FFFC;
                return;
            }
            if (!TryDecode(offset, data.Length, out IPciDevice? function, out bool isBridge, out int register)) return;
            // The bridge's header is read-only: it has no BARs and nothing a guest needs to program.
            if (!isBridge) WriteFunctionConfig(function!, register, data);
        }
    }

    private bool TryDecode(ulong portOffset, int length, out IPciDevice? function, out bool isBridge, out int register)
    {
        function = null;
        isBridge = false;
        register = (int)(_address & 0xFC) + (int)(portOffset - 4);
        int bus = (int)(_address >> 16) & 0xFF, device = (int)(_address >> 11) & 0x1F, fn = (int)(_address >> 8) & 0x7;
        if ((_address & EnableBit) == 0 || bus != 0 || fn != 0 || length == 0 || register + length > 256) return false;
        if (device == 0) { isBridge = true; return true; }
        if (device > _functions.Count) return false;
        function = _functions[device - 1];
        return true;
    }

    // Config accesses are 1, 2 or 4 bytes inside one dword (the port offset keeps them aligned).
    private static void ReadFunctionConfig(IPciDevice function, int register, Span<byte> data)
    {
        uint value = function.ReadConfig(register, data.Length);
        for (int i = 0; i < data.Length; i++) data[i] = (byte)(value >> (8 * i));
    }

    private static void WriteFunctionConfig(IPciDevice function, int register, ReadOnlySpan<byte> data)
    {
        uint value = 0;
        for (int i = 0; i < data.Length; i++) value |= (uint)data[i] << (8 * i);
        function.WriteConfig(register, data.Length, value);
    }

    private static void CopyClamped(ReadOnlySpan<byte> source, Span<byte> destination)
    {
        destination.Fill(0xFF);
        int n = Math.Min(source.Length, destination.Length);
        source[..n].CopyTo(destination);
    }
}
