using System.Diagnostics;
using System.Runtime.CompilerServices;
using MiniVmm.Native.Kvm;

namespace MiniVmm.UnitTests.Kvm;

/// <summary>
/// Pins every KVM interop struct size, kvm_run offset, ioctl number and constant against the
/// kernel headers: a C program compiled here with gcc prints the headers' values.
/// </summary>
public sealed class KvmAbiTests
{
    private const string Program = """
        #include <stdio.h>
        #include <stddef.h>
        #include <linux/kvm.h>
        #define P(name, value) printf("%s %llu\n", name, (unsigned long long)(value))
        int main(void) {
          P("sizeof kvm_regs", sizeof(struct kvm_regs));
          P("sizeof kvm_segment", sizeof(struct kvm_segment));
          P("sizeof kvm_dtable", sizeof(struct kvm_dtable));
          P("sizeof kvm_sregs", sizeof(struct kvm_sregs));
          P("sizeof kvm_userspace_memory_region", sizeof(struct kvm_userspace_memory_region));
          P("sizeof kvm_ioeventfd", sizeof(struct kvm_ioeventfd));
          P("sizeof kvm_irqfd", sizeof(struct kvm_irqfd));
          P("sizeof kvm_irq_routing", sizeof(struct kvm_irq_routing));
          P("sizeof kvm_irq_routing_entry", sizeof(struct kvm_irq_routing_entry));
          P("sizeof kvm_pit_config", sizeof(struct kvm_pit_config));
          P("sizeof kvm_cpuid2", sizeof(struct kvm_cpuid2));
          P("sizeof kvm_cpuid_entry2", sizeof(struct kvm_cpuid_entry2));
          P("sizeof kvm_irq_level", sizeof(struct kvm_irq_level));
          P("sizeof kvm_msrs", sizeof(struct kvm_msrs));
          P("sizeof kvm_msr_entry", sizeof(struct kvm_msr_entry));
          P("sizeof kvm_mp_state", sizeof(struct kvm_mp_state));
          P("offsetof kvm_msrs.entries", offsetof(struct kvm_msrs, entries));
          P("offsetof kvm_msr_entry.data", offsetof(struct kvm_msr_entry, data));
          P("offsetof kvm_sregs.gdt", offsetof(struct kvm_sregs, gdt));
          P("offsetof kvm_sregs.cr0", offsetof(struct kvm_sregs, cr0));
          P("offsetof kvm_sregs.efer", offsetof(struct kvm_sregs, efer));
          P("offsetof kvm_sregs.interrupt_bitmap", offsetof(struct kvm_sregs, interrupt_bitmap));
          P("offsetof kvm_segment.unusable", offsetof(struct kvm_segment, unusable));
          P("offsetof kvm_ioeventfd.flags", offsetof(struct kvm_ioeventfd, flags));
          P("offsetof kvm_irq_routing_entry.u", offsetof(struct kvm_irq_routing_entry, u));
          P("offsetof kvm_irq_routing_entry.u.msi.data", offsetof(struct kvm_irq_routing_entry, u.msi.data));
          P("offsetof kvm_irq_routing.entries", offsetof(struct kvm_irq_routing, entries));
          P("offsetof kvm_cpuid2.entries", offsetof(struct kvm_cpuid2, entries));
          P("offsetof kvm_run.immediate_exit", offsetof(struct kvm_run, immediate_exit));
          P("offsetof kvm_run.exit_reason", offsetof(struct kvm_run, exit_reason));
          P("offsetof kvm_run.io.direction", offsetof(struct kvm_run, io.direction));
          P("offsetof kvm_run.io.size", offsetof(struct kvm_run, io.size));
          P("offsetof kvm_run.io.port", offsetof(struct kvm_run, io.port));
          P("offsetof kvm_run.io.count", offsetof(struct kvm_run, io.count));
          P("offsetof kvm_run.io.data_offset", offsetof(struct kvm_run, io.data_offset));
          P("offsetof kvm_run.mmio.phys_addr", offsetof(struct kvm_run, mmio.phys_addr));
          P("offsetof kvm_run.mmio.data", offsetof(struct kvm_run, mmio.data));
          P("offsetof kvm_run.mmio.len", offsetof(struct kvm_run, mmio.len));
          P("offsetof kvm_run.mmio.is_write", offsetof(struct kvm_run, mmio.is_write));
          P("offsetof kvm_run.internal.suberror", offsetof(struct kvm_run, internal.suberror));
          P("offsetof kvm_run.internal.ndata", offsetof(struct kvm_run, internal.ndata));
          P("offsetof kvm_run.internal.data", offsetof(struct kvm_run, internal.data));
          P("offsetof kvm_run.system_event.type", offsetof(struct kvm_run, system_event.type));
          P("offsetof kvm_run.fail_entry.hardware_entry_failure_reason", offsetof(struct kvm_run, fail_entry.hardware_entry_failure_reason));
          P("offsetof kvm_run.hw.hardware_exit_reason", offsetof(struct kvm_run, hw.hardware_exit_reason));
          P("KVM_GET_API_VERSION", KVM_GET_API_VERSION);
          P("KVM_CREATE_VM", KVM_CREATE_VM);
          P("KVM_CHECK_EXTENSION", KVM_CHECK_EXTENSION);
          P("KVM_GET_VCPU_MMAP_SIZE", KVM_GET_VCPU_MMAP_SIZE);
          P("KVM_GET_SUPPORTED_CPUID", KVM_GET_SUPPORTED_CPUID);
          P("KVM_CREATE_VCPU", KVM_CREATE_VCPU);
          P("KVM_SET_USER_MEMORY_REGION", KVM_SET_USER_MEMORY_REGION);
          P("KVM_SET_TSS_ADDR", KVM_SET_TSS_ADDR);
          P("KVM_SET_IDENTITY_MAP_ADDR", KVM_SET_IDENTITY_MAP_ADDR);
          P("KVM_CREATE_IRQCHIP", KVM_CREATE_IRQCHIP);
          P("KVM_IRQ_LINE", KVM_IRQ_LINE);
          P("KVM_SET_GSI_ROUTING", KVM_SET_GSI_ROUTING);
          P("KVM_IRQFD", KVM_IRQFD);
          P("KVM_CREATE_PIT2", KVM_CREATE_PIT2);
          P("KVM_IOEVENTFD", KVM_IOEVENTFD);
          P("KVM_RUN", KVM_RUN);
          P("KVM_GET_REGS", KVM_GET_REGS);
          P("KVM_SET_REGS", KVM_SET_REGS);
          P("KVM_GET_SREGS", KVM_GET_SREGS);
          P("KVM_SET_SREGS", KVM_SET_SREGS);
          P("KVM_SET_CPUID2", KVM_SET_CPUID2);
          P("KVM_GET_CPUID2", KVM_GET_CPUID2);
          P("KVM_GET_MSRS", KVM_GET_MSRS);
          P("KVM_SET_MSRS", KVM_SET_MSRS);
          P("KVM_GET_MP_STATE", KVM_GET_MP_STATE);
          P("KVM_MP_STATE_RUNNABLE", KVM_MP_STATE_RUNNABLE);
          P("KVM_MP_STATE_UNINITIALIZED", KVM_MP_STATE_UNINITIALIZED);
          P("KVM_MP_STATE_INIT_RECEIVED", KVM_MP_STATE_INIT_RECEIVED);
          P("KVM_MP_STATE_HALTED", KVM_MP_STATE_HALTED);
          P("KVM_MP_STATE_SIPI_RECEIVED", KVM_MP_STATE_SIPI_RECEIVED);
          P("KVM_CAP_IRQCHIP", KVM_CAP_IRQCHIP);
          P("KVM_CAP_HLT", KVM_CAP_HLT);
          P("KVM_CAP_USER_MEMORY", KVM_CAP_USER_MEMORY);
          P("KVM_CAP_SET_TSS_ADDR", KVM_CAP_SET_TSS_ADDR);
          P("KVM_CAP_EXT_CPUID", KVM_CAP_EXT_CPUID);
          P("KVM_CAP_NR_VCPUS", KVM_CAP_NR_VCPUS);
          P("KVM_CAP_IRQ_ROUTING", KVM_CAP_IRQ_ROUTING);
          P("KVM_CAP_IRQFD", KVM_CAP_IRQFD);
          P("KVM_CAP_PIT2", KVM_CAP_PIT2);
          P("KVM_CAP_IOEVENTFD", KVM_CAP_IOEVENTFD);
          P("KVM_CAP_MAX_VCPUS", KVM_CAP_MAX_VCPUS);
          P("KVM_CAP_TSC_DEADLINE_TIMER", KVM_CAP_TSC_DEADLINE_TIMER);
          P("KVM_CAP_SIGNAL_MSI", KVM_CAP_SIGNAL_MSI);
          P("KVM_CAP_IMMEDIATE_EXIT", KVM_CAP_IMMEDIATE_EXIT);
          P("KVM_EXIT_IO", KVM_EXIT_IO);
          P("KVM_EXIT_HLT", KVM_EXIT_HLT);
          P("KVM_EXIT_MMIO", KVM_EXIT_MMIO);
          P("KVM_EXIT_SHUTDOWN", KVM_EXIT_SHUTDOWN);
          P("KVM_EXIT_FAIL_ENTRY", KVM_EXIT_FAIL_ENTRY);
          P("KVM_EXIT_INTR", KVM_EXIT_INTR);
          P("KVM_EXIT_INTERNAL_ERROR", KVM_EXIT_INTERNAL_ERROR);
          P("KVM_EXIT_SYSTEM_EVENT", KVM_EXIT_SYSTEM_EVENT);
          P("KVM_EXIT_IO_OUT", KVM_EXIT_IO_OUT);
          P("KVM_IOEVENTFD_FLAG_DATAMATCH", KVM_IOEVENTFD_FLAG_DATAMATCH);
          P("KVM_IOEVENTFD_FLAG_PIO", KVM_IOEVENTFD_FLAG_PIO);
          P("KVM_IOEVENTFD_FLAG_DEASSIGN", KVM_IOEVENTFD_FLAG_DEASSIGN);
          P("KVM_IRQFD_FLAG_DEASSIGN", KVM_IRQFD_FLAG_DEASSIGN);
          P("KVM_IRQ_ROUTING_IRQCHIP", KVM_IRQ_ROUTING_IRQCHIP);
          P("KVM_IRQ_ROUTING_MSI", KVM_IRQ_ROUTING_MSI);
          P("KVM_IRQCHIP_IOAPIC", KVM_IRQCHIP_IOAPIC);
          P("KVM_PIT_SPEAKER_DUMMY", KVM_PIT_SPEAKER_DUMMY);
          return 0;
        }
        """;

    private static readonly Lazy<Dictionary<string, ulong>> Headers = new(CompileAndRun);

    private static Dictionary<string, ulong> CompileAndRun()
    {
        string dir = Directory.CreateTempSubdirectory("minivmm-abi-").FullName;
        try
        {
            File.WriteAllText(Path.Combine(dir, "abi.c"), Program);
            Run("gcc", $"-o {dir}/abi {dir}/abi.c");
            string output = Run($"{dir}/abi", "");
            return output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => (Name: line[..line.LastIndexOf(' ')], Value: ulong.Parse(line[(line.LastIndexOf(' ') + 1)..])))
                .ToDictionary(e => e.Name, e => e.Value);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Run(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string stdout = p.StandardOutput.ReadToEnd();
        string stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} failed: {stderr}");
        return stdout;
    }

    public static TheoryData<string, ulong> Values() => new()
    {
        { "sizeof kvm_regs", (ulong)Unsafe.SizeOf<KvmRegs>() },
        { "sizeof kvm_segment", (ulong)Unsafe.SizeOf<KvmSegment>() },
        { "sizeof kvm_dtable", (ulong)Unsafe.SizeOf<KvmDtable>() },
        { "sizeof kvm_sregs", (ulong)Unsafe.SizeOf<KvmSregs>() },
        { "sizeof kvm_userspace_memory_region", (ulong)Unsafe.SizeOf<KvmUserspaceMemoryRegion>() },
        { "sizeof kvm_ioeventfd", (ulong)Unsafe.SizeOf<KvmIoEventFd>() },
        { "sizeof kvm_irqfd", (ulong)Unsafe.SizeOf<KvmIrqFd>() },
        { "sizeof kvm_irq_routing", (ulong)Unsafe.SizeOf<KvmIrqRouting>() },
        { "sizeof kvm_irq_routing_entry", (ulong)Unsafe.SizeOf<KvmIrqRoutingEntry>() },
        { "sizeof kvm_pit_config", (ulong)Unsafe.SizeOf<KvmPitConfig>() },
        { "sizeof kvm_cpuid2", (ulong)Unsafe.SizeOf<KvmCpuid2>() },
        { "sizeof kvm_cpuid_entry2", (ulong)Unsafe.SizeOf<KvmCpuidEntry2>() },
        { "sizeof kvm_irq_level", (ulong)Unsafe.SizeOf<KvmIrqLevel>() },
        { "sizeof kvm_msrs", (ulong)Unsafe.SizeOf<KvmMsrs>() },
        { "sizeof kvm_msr_entry", (ulong)Unsafe.SizeOf<KvmMsrEntry>() },
        { "sizeof kvm_mp_state", (ulong)Unsafe.SizeOf<KvmMpState>() },
        { "offsetof kvm_msrs.entries", (ulong)Unsafe.SizeOf<KvmMsrs>() },
        { "offsetof kvm_msr_entry.data", Offset<KvmMsrEntry>(nameof(KvmMsrEntry.Data)) },
        { "offsetof kvm_sregs.gdt", Offset<KvmSregs>(nameof(KvmSregs.Gdt)) },
        { "offsetof kvm_sregs.cr0", Offset<KvmSregs>(nameof(KvmSregs.Cr0)) },
        { "offsetof kvm_sregs.efer", Offset<KvmSregs>(nameof(KvmSregs.Efer)) },
        { "offsetof kvm_sregs.interrupt_bitmap", Offset<KvmSregs>(nameof(KvmSregs.InterruptBitmap0)) },
        { "offsetof kvm_segment.unusable", Offset<KvmSegment>(nameof(KvmSegment.Unusable)) },
        { "offsetof kvm_ioeventfd.flags", Offset<KvmIoEventFd>(nameof(KvmIoEventFd.Flags)) },
        { "offsetof kvm_irq_routing_entry.u", Offset<KvmIrqRoutingEntry>(nameof(KvmIrqRoutingEntry.U0)) },
        { "offsetof kvm_irq_routing_entry.u.msi.data", Offset<KvmIrqRoutingEntry>(nameof(KvmIrqRoutingEntry.U2)) },
        { "offsetof kvm_irq_routing.entries", (ulong)Unsafe.SizeOf<KvmIrqRouting>() },
        { "offsetof kvm_cpuid2.entries", (ulong)Unsafe.SizeOf<KvmCpuid2>() },
        { "offsetof kvm_run.immediate_exit", KvmRunLayout.ImmediateExit },
        { "offsetof kvm_run.exit_reason", KvmRunLayout.ExitReason },
        { "offsetof kvm_run.io.direction", KvmRunLayout.IoDirection },
        { "offsetof kvm_run.io.size", KvmRunLayout.IoSize },
        { "offsetof kvm_run.io.port", KvmRunLayout.IoPort },
        { "offsetof kvm_run.io.count", KvmRunLayout.IoCount },
        { "offsetof kvm_run.io.data_offset", KvmRunLayout.IoDataOffset },
        { "offsetof kvm_run.mmio.phys_addr", KvmRunLayout.MmioPhysAddr },
        { "offsetof kvm_run.mmio.data", KvmRunLayout.MmioData },
        { "offsetof kvm_run.mmio.len", KvmRunLayout.MmioLen },
        { "offsetof kvm_run.mmio.is_write", KvmRunLayout.MmioIsWrite },
        { "offsetof kvm_run.internal.suberror", KvmRunLayout.InternalSuberror },
        { "offsetof kvm_run.internal.ndata", KvmRunLayout.InternalNdata },
        { "offsetof kvm_run.internal.data", KvmRunLayout.InternalData },
        { "offsetof kvm_run.system_event.type", KvmRunLayout.SystemEventType },
        { "offsetof kvm_run.fail_entry.hardware_entry_failure_reason", KvmRunLayout.FailEntryReason },
        { "offsetof kvm_run.hw.hardware_exit_reason", KvmRunLayout.HwExitReason },
        { "KVM_GET_API_VERSION", KvmIoctls.GetApiVersion },
        { "KVM_CREATE_VM", KvmIoctls.CreateVm },
        { "KVM_CHECK_EXTENSION", KvmIoctls.CheckExtension },
        { "KVM_GET_VCPU_MMAP_SIZE", KvmIoctls.GetVcpuMmapSize },
        { "KVM_GET_SUPPORTED_CPUID", KvmIoctls.GetSupportedCpuid },
        { "KVM_CREATE_VCPU", KvmIoctls.CreateVcpu },
        { "KVM_SET_USER_MEMORY_REGION", KvmIoctls.SetUserMemoryRegion },
        { "KVM_SET_TSS_ADDR", KvmIoctls.SetTssAddr },
        { "KVM_SET_IDENTITY_MAP_ADDR", KvmIoctls.SetIdentityMapAddr },
        { "KVM_CREATE_IRQCHIP", KvmIoctls.CreateIrqchip },
        { "KVM_IRQ_LINE", KvmIoctls.IrqLine },
        { "KVM_SET_GSI_ROUTING", KvmIoctls.SetGsiRouting },
        { "KVM_IRQFD", KvmIoctls.IrqFd },
        { "KVM_CREATE_PIT2", KvmIoctls.CreatePit2 },
        { "KVM_IOEVENTFD", KvmIoctls.IoEventFd },
        { "KVM_RUN", KvmIoctls.Run },
        { "KVM_GET_REGS", KvmIoctls.GetRegs },
        { "KVM_SET_REGS", KvmIoctls.SetRegs },
        { "KVM_GET_SREGS", KvmIoctls.GetSregs },
        { "KVM_SET_SREGS", KvmIoctls.SetSregs },
        { "KVM_SET_CPUID2", KvmIoctls.SetCpuid2 },
        { "KVM_GET_CPUID2", KvmIoctls.GetCpuid2 },
        { "KVM_GET_MSRS", KvmIoctls.GetMsrs },
        { "KVM_SET_MSRS", KvmIoctls.SetMsrs },
        { "KVM_GET_MP_STATE", KvmIoctls.GetMpState },
        { "KVM_MP_STATE_RUNNABLE", KvmMpState.Runnable },
        { "KVM_MP_STATE_UNINITIALIZED", KvmMpState.Uninitialized },
        { "KVM_MP_STATE_INIT_RECEIVED", KvmMpState.InitReceived },
        { "KVM_MP_STATE_HALTED", KvmMpState.Halted },
        { "KVM_MP_STATE_SIPI_RECEIVED", KvmMpState.SipiReceived },
        { "KVM_CAP_IRQCHIP", (ulong)KvmCapability.Irqchip },
        { "KVM_CAP_HLT", (ulong)KvmCapability.Hlt },
        { "KVM_CAP_USER_MEMORY", (ulong)KvmCapability.UserMemory },
        { "KVM_CAP_SET_TSS_ADDR", (ulong)KvmCapability.SetTssAddr },
        { "KVM_CAP_EXT_CPUID", (ulong)KvmCapability.ExtCpuid },
        { "KVM_CAP_NR_VCPUS", (ulong)KvmCapability.NrVcpus },
        { "KVM_CAP_IRQ_ROUTING", (ulong)KvmCapability.IrqRouting },
        { "KVM_CAP_IRQFD", (ulong)KvmCapability.IrqFd },
        { "KVM_CAP_PIT2", (ulong)KvmCapability.Pit2 },
        { "KVM_CAP_IOEVENTFD", (ulong)KvmCapability.IoEventFd },
        { "KVM_CAP_MAX_VCPUS", (ulong)KvmCapability.MaxVcpus },
        { "KVM_CAP_TSC_DEADLINE_TIMER", (ulong)KvmCapability.TscDeadlineTimer },
        { "KVM_CAP_SIGNAL_MSI", (ulong)KvmCapability.SignalMsi },
        { "KVM_CAP_IMMEDIATE_EXIT", (ulong)KvmCapability.ImmediateExit },
        { "KVM_EXIT_IO", (ulong)KvmExitReason.Io },
        { "KVM_EXIT_HLT", (ulong)KvmExitReason.Hlt },
        { "KVM_EXIT_MMIO", (ulong)KvmExitReason.Mmio },
        { "KVM_EXIT_SHUTDOWN", (ulong)KvmExitReason.Shutdown },
        { "KVM_EXIT_FAIL_ENTRY", (ulong)KvmExitReason.FailEntry },
        { "KVM_EXIT_INTR", (ulong)KvmExitReason.Intr },
        { "KVM_EXIT_INTERNAL_ERROR", (ulong)KvmExitReason.InternalError },
        { "KVM_EXIT_SYSTEM_EVENT", (ulong)KvmExitReason.SystemEvent },
        { "KVM_EXIT_IO_OUT", KvmRunLayout.IoDirectionOut },
        { "KVM_IOEVENTFD_FLAG_DATAMATCH", KvmIoEventFd.FlagDataMatch },
        { "KVM_IOEVENTFD_FLAG_PIO", KvmIoEventFd.FlagPio },
        { "KVM_IOEVENTFD_FLAG_DEASSIGN", KvmIoEventFd.FlagDeassign },
        { "KVM_IRQFD_FLAG_DEASSIGN", KvmIrqFd.FlagDeassign },
        { "KVM_IRQ_ROUTING_IRQCHIP", KvmIrqRoutingEntry.TypeIrqchip },
        { "KVM_IRQ_ROUTING_MSI", KvmIrqRoutingEntry.TypeMsi },
        { "KVM_IRQCHIP_IOAPIC", KvmIrqRoutingEntry.IrqchipIoapic },
        { "KVM_PIT_SPEAKER_DUMMY", KvmPitConfig.SpeakerDummy },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Matches_linux_kvm_h(string name, ulong ours)
    {
        Assert.True(Headers.Value.TryGetValue(name, out ulong kernel), $"the C program printed no {name}");
        Assert.Equal(kernel, ours);
    }

    [Fact]
    public void Every_header_value_is_checked()
    {
        var checkedNames = Values().Select(row => (string)row[0]).ToHashSet();
        string[] unchecked_ = Headers.Value.Keys.Where(k => !checkedNames.Contains(k)).ToArray();
        Assert.True(unchecked_.Length == 0, $"not compared: {string.Join(", ", unchecked_)}");
    }

    private static ulong Offset<T>(string field) where T : struct =>
        (ulong)System.Runtime.InteropServices.Marshal.OffsetOf<T>(field);
}
