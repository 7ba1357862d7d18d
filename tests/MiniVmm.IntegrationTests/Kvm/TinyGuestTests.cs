using System.Text;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Machine;

namespace MiniVmm.IntegrationTests.Kvm;

public sealed class TinyGuestTests
{
    [HostFact(HostNeeds.Kvm)]
    public void Guest_writes_serial_and_exit_port_under_real_kvm()
    {
        string kernel = TinyGuestImage.WriteTemporary("hi from ring 0\n", exitValue: 3);
        try
        {
            var output = new MemoryStream();
            using var machine = MiniVmm.Machine.Machine.Create(new MachineOptions
            {
                KernelPath = kernel, MemoryBytes = 64UL << 20, SerialOutput = output,
                ForwardStdin = false, HandleHostSignals = false,
            });
            int status = machine.Run();

            Assert.Null(machine.Stop.Error);
            Assert.Equal("hi from ring 0\n", Encoding.ASCII.GetString(output.ToArray()));
            Assert.Equal(7, status); // isa-debug-exit: (3 << 1) | 1
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    [HostFact(HostNeeds.Kvm)]
    public void Four_vcpus_start_and_stop_when_the_boot_cpu_exits()
    {
        string kernel = TinyGuestImage.WriteTemporary("smp\n", exitValue: 0);
        try
        {
            var output = new MemoryStream();
            using var machine = MiniVmm.Machine.Machine.Create(new MachineOptions
            {
                KernelPath = kernel, CpuCount = 4, MemoryBytes = 64UL << 20, SerialOutput = output,
                ForwardStdin = false, HandleHostSignals = false,
            });
            Assert.Equal(4, machine.CpuCount);
            int status = machine.Run(); // the three APs sit in wait-for-SIPI inside KVM_RUN and must be kicked out

            Assert.Null(machine.Stop.Error);
            Assert.Equal(1, status);
            Assert.Equal("smp\n", Encoding.ASCII.GetString(output.ToArray()));
        }
        finally
        {
            File.Delete(kernel);
        }
    }

    [HostFact(HostNeeds.Kvm)]
    public void A_halted_guest_is_stopped_from_another_thread_promptly()
    {
        string kernel = TinyGuestImage.WriteTemporary("x", exitValue: null);
        try
        {
            var output = new MemoryStream();
            using var machine = MiniVmm.Machine.Machine.Create(new MachineOptions
            {
                KernelPath = kernel, CpuCount = 2, MemoryBytes = 64UL << 20, SerialOutput = output,
                ForwardStdin = false, HandleHostSignals = false,
            });
            var stopper = Task.Run(async () =>
            {
                while (output.Length == 0) await Task.Delay(5);
                machine.Stop.Request(42);
            });
            var watch = System.Diagnostics.Stopwatch.StartNew();
            int status = machine.Run();

            Assert.Equal(42, status);
            Assert.True(watch.Elapsed < TimeSpan.FromSeconds(10), $"stopping took {watch.Elapsed}");
            stopper.Wait();
        }
        finally
        {
            File.Delete(kernel);
        }
    }
}
