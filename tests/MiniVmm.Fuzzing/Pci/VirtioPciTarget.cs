using System.Buffers.Binary;
using MiniVmm.Memory;
using MiniVmm.Testing;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;
using MiniVmm.Virtio.Pci;

namespace MiniVmm.Fuzzing.Pci;

/// <summary>
/// Config space and BAR 0 accesses (any offset, size and value, in any order: <see cref="PciAccess"/>)
/// on <see cref="VirtioPciTransport"/> over a 2-pair virtio-net device with tests/MiniVmm.Testing's fake
/// host and MSI. Nothing throws; read-only registers read what they did at the start (the PCI header
/// and capabilities, num_queues, the device configuration; the notify region reads 0, ISR only bits
/// 0-1); and device_status follows virtio 1.2 §2.1, §3.1.1 (<see cref="PciStatusRules"/>).
/// </summary>
public sealed class VirtioPciTarget : IFuzzTarget
{
    public const int MaxAccesses = 256;
    public const int MemoryBytes = 1 << 18; // the test driver allocates rings from 0x10000

    private readonly ArrayGuestMemory _memory = new(MemoryBytes);
    private readonly byte[] _deviceConfig = new byte[VirtioNetDevice.ConfigBytes];
    private FakeNetDeviceHost _host = new();
    private VirtioNetDevice _device = null!;

    public OutcomeCounts Outcomes { get; } = new();

    public string Name => "pci";

    public string Oracle => "nothing throws; read-only registers (PCI header, capabilities, num_queues, device config, notify, ISR bits) stay; device_status follows the spec: no bit cleared but by reset, FEATURES_OK only for an acceptable subset, activation only after it, reset forgets queues and features, an enabled queue's rings fixed, aligned and in memory";

    public void Run(ReadOnlySpan<byte> input)
    {
        List<PciAccess> accesses = PciAccess.ReadAll(input, MaxAccesses);
        _memory.GetSpan(new GuestAddress(0), MemoryBytes).Clear();
        // A new device per input (a few hundred KiB of packet buffers): nothing a run leaves behind changes the next one's path.
        _host = new FakeNetDeviceHost();
        _device = new VirtioNetDevice(new VirtioNetOptions { QueuePairs = 2 }, _host);
        _device.ReadConfig(0, _deviceConfig);
        var transport = new VirtioPciTransport(_device, new FakeMsiInterrupts(), _memory, new GuestAddress(NetTestRig.BarBase));
        var rules = new PciStatusRules(_device, transport, _host, MemoryBytes);
        byte[] header = ConfigSnapshot(transport);
        Span<byte> data = stackalloc byte[8];
        foreach (PciAccess a in accesses)
        {
            rules.Before(a);
            if (a.Bar)
            {
                Span<byte> window = data[..a.Size];
                if (a.Write)
                {
                    BinaryPrimitives.WriteUInt64LittleEndian(data, a.Value);
                    transport.WriteBar(PciBarNumber, (ulong)a.Offset, window);
                }
                else
                {
                    transport.ReadBar(PciBarNumber, (ulong)a.Offset, window);
                    CheckBarRead(a, window);
                }
            }
            else if (a.Write)
            {
                transport.WriteConfig((int)a.Offset, a.Size, (uint)a.Value);
            }
            else
            {
                CheckConfigRead(a, transport.ReadConfig((int)a.Offset, a.Size), header);
            }
            rules.After(a);
        }
        byte[] end = ConfigSnapshot(transport);
        for (int i = 0; i < header.Length; i++)
        {
            int index = i;
            OracleViolationException.Check(ReadOnlyBits(i) is var ro && (header[i] & ro) == (end[i] & ro), () => $"read-only config byte 0x{index:x} changed: 0x{header[index]:x2} -> 0x{end[index]:x2}");
        }
        Outcomes.Add(rules.Summary);
    }

    public void Dispose()
    {
    }

    private const int PciBarNumber = VirtioPciLayout.Bar;

    /// <summary>Which bits of config byte <paramref name="offset"/> the driver may change (PCI 3.0 §6.1, §6.8.2; virtio 1.2 §4.1.4.9).</summary>
    private static byte ReadOnlyBits(int offset) => offset switch
    {
        0x04 => unchecked((byte)~0x06),                  // command: memory space, bus master
        0x05 => unchecked((byte)~0x04),                  // command: INTx disable
        >= 0x10 and < 0x18 => 0,                         // BAR 0/1 (address bits; sizing)
        0x3C => 0,                                       // interrupt line
        VirtioPciLayout.CapMsix + 3 => 0x3F,             // MSI-X control: enable, function mask
        VirtioPciLayout.CapPciCfg + 4 => 0,              // pci_cfg cap.bar
        >= VirtioPciLayout.CapPciCfg + 8 and < VirtioPciLayout.CapPciCfg + 20 => 0, // cap.offset, cap.length, pci_cfg_data
        _ => 0xFF,
    };

    /// <summary>Bytes 0..0xFF through 4-byte reads, skipping pci_cfg_data (reading it is a BAR access).</summary>
    private static byte[] ConfigSnapshot(VirtioPciTransport transport)
    {
        var bytes = new byte[256];
        for (int offset = 0; offset < bytes.Length; offset += 4)
        {
            if (offset == VirtioPciLayout.CapPciCfg + 16) continue;
            BinaryPrimitives.WriteUInt32LittleEndian(bytes.AsSpan(offset), transport.ReadConfig(offset, 4));
        }
        return bytes;
    }

    private static void CheckConfigRead(PciAccess a, uint value, byte[] header)
    {
        bool valid = a.Size is 1 or 2 or 4 && a.Offset % a.Size == 0 && a.Offset + a.Size <= 4096;
        if (!valid)
        {
            OracleViolationException.Check(value == 0xFFFF_FFFF, () => $"a malformed config read ({a.Size} bytes at 0x{a.Offset:x}) gave 0x{value:x}, not all ones");
            return;
        }
        for (int k = 0; k < a.Size; k++)
        {
            long at = a.Offset + k;
            byte got = (byte)(value >> (8 * k));
            byte expected = at < 256 ? header[at] : (byte)0;
            byte ro = at < 256 ? ReadOnlyBits((int)at) : (byte)0xFF;
            if ((got & ro) != (expected & ro)) throw new OracleViolationException($"config byte 0x{at:x} reads 0x{got:x2}, read-only bits were 0x{expected & ro:x2}");
        }
    }

    private void CheckBarRead(PciAccess a, ReadOnlySpan<byte> data)
    {
        long region = a.Offset & ~0xFFFL, inner = a.Offset - region;
        if (a.Offset + a.Size > (long)VirtioPciLayout.BarSizeBytes)
        {
            if (data.IndexOfAnyExcept((byte)0) >= 0) throw new OracleViolationException($"a read past BAR 0 ({a.Size} bytes at 0x{a.Offset:x}) gave {Convert.ToHexString(data)}");
            return;
        }
        for (int k = 0; k < data.Length; k++)
        {
            long at = inner + k;
            int? expected = region switch
            {
                VirtioPciLayout.DeviceOffset => at < _deviceConfig.Length ? _deviceConfig[at] : 0,
                VirtioPciLayout.NotifyOffset => 0,
                VirtioPciLayout.CommonOffset when at == 18 => _device.Queues.Count, // num_queues (le16)
                VirtioPciLayout.CommonOffset when at == 19 => 0,
                VirtioPciLayout.IsrOffset when at == 0 => null,
                VirtioPciLayout.IsrOffset => 0,
                _ => null,
            };
            if (expected is int e && data[k] != e) throw new OracleViolationException($"BAR 0x{a.Offset + k:x} reads 0x{data[k]:x2}, a read-only 0x{e:x2}");
        }
        if (region == VirtioPciLayout.IsrOffset && inner == 0 && (data[0] & ~3) != 0)
        {
            throw new OracleViolationException($"ISR status reads 0x{data[0]:x2}: only bits 0 (queue) and 1 (config) exist (§4.1.4.5)");
        }
    }
}
