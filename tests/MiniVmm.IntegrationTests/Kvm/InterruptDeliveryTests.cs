using System.Buffers.Binary;
using System.Text;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Machine;
using MiniVmm.Machine.Buses;
using MiniVmm.Memory;
using MiniVmm.Native;

namespace MiniVmm.IntegrationTests.Kvm;

/// <summary>
/// The pieces virtio-net relies on, under real KVM: an ioeventfd swallows a guest store without
/// an exit, other stores reach the MMIO bus, and an MSI sent through <c>MsiRouting</c> reaches the
/// guest's IDT only while its vector is unmasked.
/// </summary>
public sealed class InterruptDeliveryTests
{
    private const ulong NotifyAddress = 0xD000_0000;

    private sealed class RecordingDevice : IBusDevice
    {
        public readonly List<(ulong Offset, uint Value)> Writes = new();
        public void Read(ulong offset, Span<byte> data) => data.Clear();
        public void Write(ulong offset, ReadOnlySpan<byte> data)
        {
            lock (Writes) Writes.Add((offset, data.Length == 4 ? BinaryPrimitives.ReadUInt32LittleEndian(data) : 0));
        }
    }

    internal static string WriteElf(byte[] segment)
    {
        string path = Path.Combine(Path.GetTempPath(), $"minivmm-irq-{Guid.NewGuid():N}.elf");
        File.WriteAllBytes(path, TinyGuestImage.Elf(segment));
        return path;
    }

    /// <summary>Writes a 64-bit interrupt gate (SDM vol. 3, 6.14.1) to <paramref name="target"/> in code segment 0x10.</summary>
    internal static void Gate(Span<byte> gate, ulong target)
    {
        BinaryPrimitives.WriteUInt16LittleEndian(gate, (ushort)target);
        BinaryPrimitives.WriteUInt16LittleEndian(gate[2..], 0x10);
        gate[5] = 0x8E;
        BinaryPrimitives.WriteUInt16LittleEndian(gate[6..], (ushort)(target >> 16));
        BinaryPrimitives.WriteUInt32LittleEndian(gate[8..], (uint)(target >> 32));
    }

    internal static MiniVmm.Machine.Machine Create(string kernel, MemoryStream output) =>
        MiniVmm.Machine.Machine.Create(new MachineOptions
        {
            KernelPath = kernel, MemoryBytes = 64UL << 20, SerialOutput = output, ForwardStdin = false, HandleHostSignals = false,
        });

    [HostFact(HostNeeds.Kvm)]
    public void Ioeventfd_store_signals_the_eventfd_and_other_stores_reach_the_mmio_bus()
    {
        byte[] code =
        [
            0x48, 0xBB, 0x00, 0x00, 0x00, 0xD0, 0, 0, 0, 0, // mov rbx, 0xD0000000
            0xB8, 0x2A, 0x00, 0x00, 0x00,                   // mov eax, 42
            0x89, 0x03,                                     // mov [rbx], eax      (ioeventfd)
            0x89, 0x43, 0x08,                               // mov [rbx + 8], eax  (MMIO exit)
            0x66, 0xBA, 0x01, 0x05, 0xB0, 0x00, 0xEE,       // out 0x501, 0
            0xFA, 0xF4,                                     // cli; hlt
        ];
        string kernel = WriteElf(code);
        try
        {
            using var machine = Create(kernel, new MemoryStream());
            var device = new RecordingDevice();
            machine.MmioBus.Register(NotifyAddress, 0x1000, device);
            using var kick = new EventFd();
            machine.Vm.RegisterIoEventFd(kick, new GuestAddress(NotifyAddress), 4);

            int status = machine.Run();

            Assert.Null(machine.Stop.Error);
            Assert.Equal(1, status);
            Assert.Equal(1UL, kick.Drain());
            Assert.Equal([(8UL, 42u)], device.Writes);
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    [HostFact(HostNeeds.Kvm)]
    public void Msi_reaches_the_guest_only_while_its_vector_is_unmasked()
    {
        const int HandlerOffset = 0x100, IdtrOffset = 0x700, IdtOffset = 0x1000, Vector = 0x30;
        const ulong Load = TinyGuestImage.LoadAddress;
        var segment = new byte[0x2000];
        byte[] code =
        [
            0x48, 0xBB, 0xF0, 0x00, 0xE0, 0xFE, 0, 0, 0, 0, // mov rbx, 0xFEE000F0 (LAPIC spurious vector register)
            0xC7, 0x03, 0xFF, 0x01, 0x00, 0x00,             // mov dword [rbx], 0x1FF: APIC software-enabled
            0x48, 0xBB, 0x00, 0x07, 0x10, 0x00, 0, 0, 0, 0, // mov rbx, Load + IdtrOffset
            0x0F, 0x01, 0x1B,                               // lidt [rbx]
            0x66, 0xBA, 0xF8, 0x03, 0xB0, 0x52, 0xEE,       // out 0x3f8, 'R'
            0xFB,                                           // sti
            0xF4,                                           // hlt
            0xEB, 0xFD,                                     // jmp hlt
        ];
        code.CopyTo(segment, 0);
        byte[] handler = [0x66, 0xBA, 0x01, 0x05, 0xB0, 0x09, 0xEE, 0xFA, 0xF4]; // out 0x501, 9; cli; hlt
        handler.CopyTo(segment, HandlerOffset);
        BinaryPrimitives.WriteUInt16LittleEndian(segment.AsSpan(IdtrOffset), 0xFFF);
        BinaryPrimitives.WriteUInt64LittleEndian(segment.AsSpan(IdtrOffset + 2), Load + IdtOffset);
        Gate(segment.AsSpan(IdtOffset + Vector * 16, 16), Load + HandlerOffset);

        string kernel = WriteElf(segment);
        try
        {
            var output = new MemoryStream();
            using var machine = Create(kernel, output);
            var msi = machine.CreateMsiRouting(vectorCount: 2);
            var timeout = Task.Delay(TimeSpan.FromSeconds(30)).ContinueWith(_ => machine.Stop.Fail("no interrupt within 30 s"));
            var driver = Task.Run(async () =>
            {
                while (Encoding.ASCII.GetString(output.ToArray()) != "R") await Task.Delay(5);
                msi.Configure(1, 0xFEE0_0000, Vector, masked: true);
                msi.Signal(1); // masked: no route, dropped
                await Task.Delay(300);
                if (machine.Stop.IsRequested) return;
                msi.Configure(1, 0xFEE0_0000, Vector, masked: false); // APIC id 0, fixed delivery, vector 0x30
                msi.Signal(1);
            });
            var watch = System.Diagnostics.Stopwatch.StartNew();
            int status = machine.Run();
            driver.Wait();

            Assert.Null(machine.Stop.Error);
            Assert.Equal(19, status); // the handler ran: (9 << 1) | 1
            Assert.True(watch.Elapsed >= TimeSpan.FromMilliseconds(300), "the masked signal was delivered");
        }
        finally
        {
            File.Delete(kernel);
        }
    }
}
