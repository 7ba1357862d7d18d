using System.Buffers.Binary;
using System.Text;
using MiniVmm.IntegrationTests.Infrastructure;

namespace MiniVmm.IntegrationTests.Kvm;

/// <summary>
/// MSI-X masking when the interrupt does not pass through the VMM: a vhost back end writes the
/// vector's irqfd (its call fd) directly. A guest masking the vector while the back end keeps
/// signalling must get the interrupt once it unmasks (PCI 3.0 §6.8.3.5: the message stays
/// pending), every time: <c>MsiRouting</c> deassigns the irqfd on mask, so the write only raises
/// the eventfd's counter, and KVM injects at once when the irqfd is assigned again on unmask.
/// </summary>
public sealed class MaskedCallFdTests
{
    private const int CountVector = 0x30, ExitVector = 0x31, Rounds = 100;

    [HostFact(HostNeeds.Kvm)]
    public void A_call_fd_written_while_its_vector_is_masked_interrupts_the_guest_at_unmask_every_time()
    {
        const int CountHandler = 0x100, ExitHandler = 0x180, IdtrOffset = 0x700, IdtOffset = 0x1000, StackTop = 0x1F00;
        const ulong Load = TinyGuestImage.LoadAddress;
        var segment = new byte[0x2000];
        byte[] code =
        [
            0x48, 0xBC, .. Le64(Load + StackTop),            // mov rsp, Load + StackTop (the interrupt frames go there)
            0x48, 0xBB, 0xF0, 0x00, 0xE0, 0xFE, 0, 0, 0, 0, // mov rbx, 0xFEE000F0 (LAPIC spurious vector register)
            0xC7, 0x03, 0xFF, 0x01, 0x00, 0x00,             // mov dword [rbx], 0x1FF: APIC software-enabled
            0x48, 0xBB, .. Le64(Load + IdtrOffset),          // mov rbx, Load + IdtrOffset
            0x0F, 0x01, 0x1B,                               // lidt [rbx]
            0x66, 0xBA, 0xF8, 0x03, 0xB0, 0x52, 0xEE,       // out 0x3f8, 'R'
            0xFB,                                           // sti
            0xF4,                                           // hlt
            0xEB, 0xFD,                                     // jmp hlt
        ];
        code.CopyTo(segment, 0);
        byte[] count =
        [
            0x66, 0xBA, 0xF8, 0x03, 0xB0, 0x49, 0xEE,       // out 0x3f8, 'I': one line of evidence per interrupt
            0x48, 0xBB, 0xB0, 0x00, 0xE0, 0xFE, 0, 0, 0, 0, // mov rbx, 0xFEE000B0 (LAPIC EOI)
            0xC7, 0x03, 0x00, 0x00, 0x00, 0x00,             // mov dword [rbx], 0
            0x48, 0xCF,                                     // iretq
        ];
        count.CopyTo(segment, CountHandler);
        byte[] exit = [0x66, 0xBA, 0x01, 0x05, 0xB0, 0x09, 0xEE, 0xFA, 0xF4]; // out 0x501, 9; cli; hlt
        exit.CopyTo(segment, ExitHandler);
        BinaryPrimitives.WriteUInt16LittleEndian(segment.AsSpan(IdtrOffset), 0xFFF);
        BinaryPrimitives.WriteUInt64LittleEndian(segment.AsSpan(IdtrOffset + 2), Load + IdtOffset);
        InterruptDeliveryTests.Gate(segment.AsSpan(IdtOffset + CountVector * 16, 16), Load + CountHandler);
        InterruptDeliveryTests.Gate(segment.AsSpan(IdtOffset + ExitVector * 16, 16), Load + ExitHandler);

        string kernel = InterruptDeliveryTests.WriteElf(segment);
        try
        {
            var output = new SerialSink();
            using var machine = InterruptDeliveryTests.Create(kernel, output);
            var msi = machine.CreateMsiRouting(vectorCount: 2);
            string failure = "";
            var driver = Task.Run(() =>
            {
                try
                {
                    WaitFor(() => Serial(output) == "R", "the guest's ready mark");
                    for (int round = 1; round <= Rounds; round++)
                    {
                        msi.Configure(1, 0xFEE0_0000, CountVector, masked: true);
                        // The back end's write: straight to the eventfd, as vhost-user and vhost-net do with a call fd.
                        msi.EventOf(1).Signal();
                        msi.Configure(1, 0xFEE0_0000, CountVector, masked: false);
                        int expected = round;
                        WaitFor(() => Serial(output).Count(c => c == 'I') >= expected, $"the interrupt of round {round} after unmask");
                    }
                }
                catch (TimeoutException e) { failure = e.Message; }
                msi.Configure(0, 0xFEE0_0000, ExitVector, masked: false);
                msi.Signal(0);
            });
            var timeout = Task.Delay(TimeSpan.FromSeconds(60)).ContinueWith(_ => machine.Stop.Fail("the guest did not end within 60 s"));
            int status = machine.Run();
            driver.Wait();

            Assert.Equal("", failure);
            Assert.Null(machine.Stop.Error);
            Assert.Equal(19, status); // the exit handler ran: (9 << 1) | 1
            // One interrupt per round: the masked write was neither lost nor delivered twice.
            Assert.Equal(Rounds, Serial(output).Count(c => c == 'I'));
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    private static byte[] Le64(ulong value)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, value);
        return bytes;
    }

    private static string Serial(MemoryStream output)
    {
        // The vCPU thread writes the stream; the writes are serialised with these reads (SerialSink).
        lock (output) return Encoding.ASCII.GetString(output.ToArray());
    }

    /// <summary>The serial console as a stream the vCPU thread writes and the test reads under one lock.</summary>
    private sealed class SerialSink : MemoryStream
    {
        public override void Write(byte[] buffer, int offset, int count)
        {
            lock (this) base.Write(buffer, offset, count);
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (this) base.Write(buffer);
        }

        public override void WriteByte(byte value)
        {
            lock (this) base.WriteByte(value);
        }
    }

    private static void WaitFor(Func<bool> condition, string what)
    {
        long deadline = Environment.TickCount64 + 5000;
        var spin = new SpinWait();
        while (!condition())
        {
            if (Environment.TickCount64 > deadline) throw new TimeoutException($"no {what} within 5 s");
            spin.SpinOnce(sleep1Threshold: 20);
        }
    }
}
