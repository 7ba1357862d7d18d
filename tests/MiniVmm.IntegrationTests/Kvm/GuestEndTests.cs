using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Machine;
using MiniVmm.UnitTests.Fakes;

namespace MiniVmm.IntegrationTests.Kvm;

/// <summary>
/// The VM ends when the guest ends, under real KVM, with the status `minivmm run --help` documents.
/// Each guest is a few instructions at the 64-bit entry (ring 0, no IDT); a 60 s guard fails a
/// machine that does not end by itself.
/// </summary>
public sealed class GuestEndTests
{
    private static readonly byte[] CliHlt = [0xFA, 0xF4, 0xEB, 0xFC]; // cli; hlt; jmp back

    private static (int Status, string? Error, string? Notice, TimeSpan Took) Run(byte[] code, int cpus = 2)
    {
        string kernel = Path.Combine(Path.GetTempPath(), $"minivmm-end-{Guid.NewGuid():N}.elf");
        File.WriteAllBytes(kernel, TinyGuestImage.Elf(code));
        try
        {
            using var machine = MiniVmm.Machine.Machine.Create(new MachineOptions
            {
                KernelPath = kernel, CpuCount = cpus, MemoryBytes = 64UL << 20, SerialOutput = new MemoryStream(),
                ForwardStdin = false, HandleHostSignals = false,
            });
            using var guard = new Timer(_ => machine.Stop.Fail("the guest did not end within 60 s"), null, TimeSpan.FromSeconds(60), Timeout.InfiniteTimeSpan);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            int status = machine.Run();
            return (status, machine.Stop.Error, machine.Stop.Notice, watch.Elapsed);
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    [HostFact(HostNeeds.Kvm)]
    public void A_triple_fault_ends_the_vm_with_status_1_and_says_so()
    {
        // ud2 with no IDT: #UD cannot be delivered, nor the #GP and #DF that follow: a shutdown cycle.
        var end = Run([0x0F, 0x0B]);
        Assert.Equal((1, "vcpu0: the guest triple-faulted (KVM_EXIT_SHUTDOWN)"), (end.Status, end.Error));
    }

    [HostFact(HostNeeds.Kvm)]
    public void Every_cpu_halted_with_interrupts_off_ends_the_vm_with_status_0()
    {
        // Linux's `halt` leaves every CPU in `cli; hlt`; here the boot CPU does it and the AP was never started.
        var end = Run(CliHlt);
        Assert.Equal((0, (string?)null), (end.Status, end.Error));
        Assert.True(end.Took < TimeSpan.FromSeconds(10), $"noticed after {end.Took}");
    }

    [HostFact(HostNeeds.Kvm)]
    public void Acpi_power_off_ends_the_vm_with_status_0()
    {
        // out 0x604, 0x3400: PM1a_CNT = SLP_TYP 5 (\_S5) | SLP_EN, the second of acpi_hw_legacy_sleep's writes.
        byte[] code = [0x66, 0xBA, 0x04, 0x06, 0x66, 0xB8, 0x00, 0x34, 0x66, 0xEF, .. CliHlt];
        var end = Run(code);
        Assert.Equal((0, (string?)null, (string?)null), (end.Status, end.Error, end.Notice));
    }

    [HostFact(HostNeeds.Kvm)]
    public void A_pvpanic_report_ends_the_vm_with_status_4_and_a_notice()
    {
        byte[] code = [0x66, 0xBA, 0x05, 0x05, 0xB0, 0x01, 0xEE, .. CliHlt]; // out 0x505, PVPANIC_PANICKED
        var end = Run(code);
        Assert.Equal((4, (string?)null, "the guest kernel panicked (pvpanic)"), (end.Status, end.Error, end.Notice));
    }

    [HostFact(HostNeeds.Kvm)]
    public void A_reset_through_0xCF9_ends_the_vm_with_status_0()
    {
        byte[] code = [0x66, 0xBA, 0xF9, 0x0C, 0xB0, 0x06, 0xEE, .. CliHlt]; // out 0xCF9, 6
        var end = Run(code);
        Assert.Equal((0, (string?)null), (end.Status, end.Error));
    }

    [HostFact(HostNeeds.Kvm)]
    public void An_idle_guest_with_interrupts_on_is_not_taken_for_halted()
    {
        string kernel = TinyGuestImage.WriteTemporary("idle\n", exitValue: null); // sti; hlt, every interrupt masked
        try
        {
            using var machine = MiniVmm.Machine.Machine.Create(new MachineOptions
            {
                KernelPath = kernel, CpuCount = 2, MemoryBytes = 64UL << 20, SerialOutput = new MemoryStream(),
                ForwardStdin = false, HandleHostSignals = false,
            });
            // Three sampling rounds is one more than the watch needs to end a halted guest.
            TimeSpan window = 3 * MiniVmm.Machine.Runtime.GuestHaltWatch.Interval;
            using var stopper = new Timer(_ => machine.Stop.Request(42), null, window, Timeout.InfiniteTimeSpan);
            Assert.Equal(42, machine.Run());
            Assert.Null(machine.Stop.Error);
        }
        finally
        {
            File.Delete(kernel);
        }
    }
}
