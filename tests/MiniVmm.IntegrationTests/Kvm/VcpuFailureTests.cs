using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Machine;
using MiniVmm.Machine.Buses;

namespace MiniVmm.IntegrationTests.Kvm;

/// <summary>A failure on a vCPU thread stops the whole VM with status 1 and a message; it is never swallowed.</summary>
public sealed class VcpuFailureTests
{
    private sealed class BrokenDevice : IBusDevice
    {
        public void Read(ulong offset, Span<byte> data) => throw new InvalidOperationException("device exploded on read");
        public void Write(ulong offset, ReadOnlySpan<byte> data) => throw new InvalidOperationException("device exploded on write");
    }

    [HostFact(HostNeeds.Kvm)]
    public void Exception_in_a_device_stops_the_vm_with_status_1_naming_the_vcpu()
    {
        byte[] code =
        [
            0x48, 0xBB, 0x00, 0x00, 0x00, 0xD0, 0, 0, 0, 0, // mov rbx, 0xD0000000
            0x89, 0x03,                                     // mov [rbx], eax: MMIO exit into the broken device
            0x66, 0xBA, 0x01, 0x05, 0xB0, 0x07, 0xEE,       // out 0x501, 7 (must not be reached)
            0xFA, 0xF4,
        ];
        string kernel = Path.Combine(Path.GetTempPath(), $"minivmm-fail-{Guid.NewGuid():N}.elf");
        File.WriteAllBytes(kernel, TinyGuestImage.Elf(code));
        try
        {
            using var machine = MiniVmm.Machine.Machine.Create(new MachineOptions
            {
                KernelPath = kernel, CpuCount = 2, MemoryBytes = 64UL << 20, SerialOutput = new MemoryStream(),
                ForwardStdin = false, HandleHostSignals = false,
            });
            machine.MmioBus.Register(0xD000_0000, 0x1000, new BrokenDevice());

            int status = machine.Run();

            Assert.Equal(1, status);
            Assert.Equal("vcpu0: device exploded on write", machine.Stop.Error);
        }
        finally
        {
            File.Delete(kernel);
        }
    }
}
