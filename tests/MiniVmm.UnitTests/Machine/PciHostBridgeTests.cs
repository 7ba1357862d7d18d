using System.Buffers.Binary;
using MiniVmm.Machine.Pci;
using MiniVmm.Virtio.Pci;

namespace MiniVmm.UnitTests.Machine;

public sealed class PciHostBridgeTests
{
    private sealed class FakeFunction : IPciDevice
    {
        public readonly byte[] Config = new byte[4096];
        public IReadOnlyList<PciBar> Bars => [];
        public ushort Command => 0;
        public bool MemoryEnabled => false;
        public event Action? BarsChanged { add { } remove { } }
        public void AssignBar(int bar, MiniVmm.Memory.GuestAddress address) { }
        public uint ReadConfig(int offset, int size)
        {
            uint v = 0;
            for (int i = 0; i < size; i++) v |= (uint)Config[offset + i] << (8 * i);
            return v;
        }
        public void WriteConfig(int offset, int size, uint value)
        {
            for (int i = 0; i < size; i++) Config[offset + i] = (byte)(value >> (8 * i));
        }
        public void ReadBar(int bar, ulong offset, Span<byte> data) => data.Clear();
        public void WriteBar(int bar, ulong offset, ReadOnlySpan<byte> data) { }
    }

    private static uint Address(int device, int register) => 0x8000_0000u | (uint)(device << 11) | (uint)register;

    private static uint ReadDword(PciHostBridge bridge, uint address, int port = 4)
    {
        Span<byte> b = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(b, address);
        bridge.Write(0, b);
        bridge.Read((ulong)port, b);
        return BinaryPrimitives.ReadUInt32LittleEndian(b);
    }

    [Fact]
    public void Device_0_is_an_Intel_host_bridge()
    {
        var bridge = new PciHostBridge();
        Assert.Equal(0x0D57_8086u, ReadDword(bridge, Address(0, 0)));
        Assert.Equal(0x0600_0000u, ReadDword(bridge, Address(0, 8)) & 0xFFFF_FF00);
    }

    [Fact]
    public void Empty_slots_and_other_buses_read_all_ones()
    {
        var bridge = new PciHostBridge();
        Assert.Equal(0xFFFF_FFFFu, ReadDword(bridge, Address(5, 0)));
        Assert.Equal(0xFFFF_FFFFu, ReadDword(bridge, Address(0, 0) | (1u << 16)));
        Assert.Equal(0xFFFF_FFFFu, ReadDword(bridge, Address(0, 0) & 0x7FFF_FFFF)); // enable bit clear
    }

    [Fact]
    public void Attached_functions_take_devices_from_1_and_see_config_accesses()
    {
        var bridge = new PciHostBridge();
        var fn = new FakeFunction();
        BinaryPrimitives.WriteUInt32LittleEndian(fn.Config.AsSpan(0), 0x1041_1AF4);
        Assert.Equal(1, bridge.Attach(fn));
        Assert.Equal(0x1041_1AF4u, ReadDword(bridge, Address(1, 0)));

        // A 16-bit write at 0xCFE lands at register + 2.
        Span<byte> addr = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(addr, Address(1, 0x04));
        bridge.Write(0, addr);
        bridge.Write(6, [0x34, 0x12]);
        Assert.Equal(0x1234, BinaryPrimitives.ReadUInt16LittleEndian(fn.Config.AsSpan(6)));
    }

    [Fact]
    public void Address_register_reads_back_as_Linux_type1_probe_expects()
    {
        var bridge = new PciHostBridge();
        bridge.Write(3, [0x01]); // outb(0x01, 0xCFB)
        Assert.Equal(0x8000_0000u, ReadDword(bridge, 0x8000_0000, port: 0));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public void Byte_and_word_accesses_to_0xCF8_are_not_CONFIG_ADDRESS(int port)
    {
        // PCI 3.0, 3.2.2.3.2: "Any access to CONFIG_ADDRESS that is not a DWORD access must be passed
        // through as a normal I/O transaction" (0xCF9 is the reset control register on a PC).
        var bridge = new PciHostBridge();
        uint before = ReadDword(bridge, Address(1, 0x10), port: 0);
        bridge.Write((ulong)port, [0x06]);
        bridge.Write(0, [0x00, 0x00]);
        Span<byte> b = stackalloc byte[4];
        bridge.Read(0, b);
        Assert.Equal(before, BinaryPrimitives.ReadUInt32LittleEndian(b));
    }
}
