using System.Diagnostics;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Kvm;
using MiniVmm.Native.Kvm;

namespace MiniVmm.IntegrationTests.Linux;

/// <summary>
/// The Debian vmlinux on MiniVmm's boot path, read until the VM ends by itself. On these machines
/// (PVM: ring-0 guest code emulated) that is the guest's own emulation failure, KVM_EXIT_INTERNAL_ERROR
/// at the first XRSTOR after about 65 s of guest time; everything the kernel logged before it is
/// asserted. On a hardware-KVM host the kernel boots on, panics for want of a root file system and,
/// with panic=-1, reboots at once, which ends the VM with status 0 (or 4 when pvpanic reports it).
/// Nothing is killed on a marker: the log is complete when minivmm has exited.
/// </summary>
[Collection(EndToEnd.EndToEndCollection.Name)]
public sealed class LinuxEarlyLogTests
{
    private const string CommandLine = "console=ttyS0 earlyprintk=serial,ttyS0,115200 panic=-1";

    /// <summary>Only a guard against a VM that never ends; on an idle host the run takes 70 s.</summary>
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(300);

    private static readonly Lazy<(string Log, string Stderr, int Status)> Boot = new(RunToTheEnd);

    private static (string Log, string Stderr, int Status) RunToTheEnd()
    {
        string kernel = Path.Combine(RepoPaths.GuestImages, "vmlinux");
        Assert.True(File.Exists(kernel), $"{kernel} is missing: run ./build.sh first");
        Assert.True(File.Exists(RepoPaths.Cli), $"{RepoPaths.Cli} is missing: run ./build.sh first");
        var start = new ProcessStartInfo(RepoPaths.Cli) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (string a in new[] { "run", "--kernel", kernel, "--memory", "128M", "--cpus", "2", "--cmdline", CommandLine })
            start.ArgumentList.Add(a);
        using Process p = Process.Start(start)!;
        Task<string> log = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(Guard))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            Assert.Fail($"the guest did not end within {Guard.TotalSeconds} s; serial output:\n{log.Result}");
        }
        return (log.Result.Replace("\r", ""), stderr.Result, p.ExitCode);
    }

    private static string Log => Boot.Value.Log;

    [HostFact(HostNeeds.Kvm)]
    public void The_vm_ends_by_itself_and_says_how()
    {
        (string log, string stderr, int status) = Boot.Value;
        if (KvmHost.RingZeroEmulated)
        {
            Assert.Equal(1, status);
            string line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
            Assert.StartsWith("minivmm: vcpu0: KVM_EXIT_INTERNAL_ERROR suberror 1 (emulation failure", line);
        }
        else
        {
            Assert.Contains(status, new[] { 0, 4 });
            Assert.Contains("Kernel panic", log);
        }
        Assert.Contains("Linux version 6.", log);
        Assert.Contains($"Command line: {CommandLine}", log);
    }

    [HostFact(HostNeeds.Kvm)]
    public void The_e820_map_is_the_one_minivmm_wrote()
    {
        Assert.Contains("BIOS-e820: [mem 0x0000000000000000-0x000000000009fbff] usable", Log);
        Assert.Contains("BIOS-e820: [mem 0x000000000009fc00-0x00000000000fffff] reserved", Log);
        Assert.Contains("BIOS-e820: [mem 0x0000000000100000-0x0000000007ffffff] usable", Log); // 128 MiB
    }

    [HostFact(HostNeeds.Kvm)]
    public void Acpi_tables_are_found_and_the_madt_gives_two_cpus()
    {
        Assert.Contains("ACPI: RSDP 0x00000000000E0000", Log);
        Assert.Contains("ACPI: FACP 0x00000000000E0100", Log);
        Assert.Contains("ACPI: DSDT 0x00000000000E1000", Log);
        Assert.Contains("ACPI: APIC 0x00000000000E0240", Log);
        Assert.Contains("ACPI: INT_SRC_OVR (bus 0 bus_irq 9 global_irq 9 high level)", Log);
        Assert.Contains("ACPI: Using ACPI (MADT) for SMP configuration information", Log);
        Assert.Contains("smpboot: Allowing 2 CPUs, 0 hotplug CPUs", Log);
    }

    [HostFact(HostNeeds.Kvm)]
    public void The_guest_knows_it_runs_on_kvm_and_uses_kvm_clock()
    {
        Assert.Contains("Hypervisor detected: KVM", Log);
        Assert.Contains("kvm-clock: Using msrs 4b564d01 and 4b564d00", Log);
        Assert.Contains("clocksource: kvm-clock: mask: 0xffffffffffffffff", Log);
        using var kvm = MiniVmm.Kvm.Kvm.Open();
        if (kvm.CheckExtension(KvmCapability.TscDeadlineTimer) != 0) Assert.Contains("TSC deadline timer available", Log);
    }

    [HostFact(HostNeeds.Kvm)]
    public void Mtrrs_are_enabled_so_pat_is_too()
    {
        Assert.DoesNotContain("MTRRs disabled", Log);
        Assert.Contains("x86/PAT: Configuration [0-7]: WB  WC  UC- UC  WB  WP  UC- WT", Log);
    }
}
