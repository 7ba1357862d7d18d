using System.Buffers.Binary;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Machine;
using MiniVmm.UnitTests.Fakes;

namespace MiniVmm.IntegrationTests.Kvm;

/// <summary>
/// Port 0xCF9 on the machine's I/O bus is the reset control register, not a byte of the PCI
/// CONFIG_ADDRESS register at 0xCF8 (PCI 3.0, 3.2.2.3.2: only dword accesses to 0xCF8 are
/// CONFIG_ADDRESS). Linux's reboot=pci and the FADT's RESET_REG write 0x06 there.
/// </summary>
public sealed class ResetControlPortTests
{
    [HostFact(HostNeeds.Kvm)]
    public void Writing_6_to_0xCF9_resets_and_leaves_CONFIG_ADDRESS_alone()
    {
        string kernel = TinyGuestImage.WriteTemporary("", exitValue: 0);
        try
        {
            using var machine = MiniVmm.Machine.Machine.Create(new MachineOptions
            {
                KernelPath = kernel, MemoryBytes = 64UL << 20, SerialOutput = new MemoryStream(),
                ForwardStdin = false, HandleHostSignals = false,
            });
            Span<byte> address = stackalloc byte[4];
            BinaryPrimitives.WriteUInt32LittleEndian(address, 0x8000_0800); // bus 0, device 1, register 0
            machine.IoBus.Write(0xCF8, address);

            machine.IoBus.Write(0xCF9, [0x02]); // SYS_RST alone selects the kind of reset, starts none
            Assert.False(machine.Stop.IsRequested);
            machine.IoBus.Write(0xCF9, [0x06]); // RST_CPU 0 -> 1: reset

            Assert.True(machine.Stop.IsRequested);
            Assert.Equal(0, machine.Stop.Status);
            Assert.Null(machine.Stop.Error);
            address.Clear();
            machine.IoBus.Read(0xCF8, address);
            Assert.Equal(0x8000_0800u, BinaryPrimitives.ReadUInt32LittleEndian(address));
        }
        finally
        {
            File.Delete(kernel);
        }
    }
}
