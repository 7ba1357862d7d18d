using MiniVmm.Kvm;
using MiniVmm.Machine.Boot;
using MiniVmm.Machine.Buses;
using MiniVmm.Machine.Devices;
using MiniVmm.Machine.Pci;
using MiniVmm.Machine.Runtime;
using MiniVmm.Memory;
using MiniVmm.Native.Kvm;
using MiniVmm.Virtio.Pci;

namespace MiniVmm.Machine;

/// <summary>
/// A whole VM: KVM objects, guest RAM, the port and MMIO buses with the legacy devices, the PCI
/// host bridge and the vCPUs. Build with <see cref="Create"/>, add PCI functions, then <see cref="Run"/>.
/// Start-up order: VM, TSS, irqchip, PIT, RAM, buses and devices, vCPUs (CPUID, boot MSRs), kernel load, boot vCPU state.
/// </summary>
public sealed class Machine : IDisposable
{
    private readonly Kvm.Kvm _kvm;
    private readonly GuestRam _ram;
    private readonly List<Vcpu> _vcpus = new();
    private readonly List<IDisposable> _owned = new();
    private readonly MachineOptions _options;
    private bool _ran;

    private Machine(MachineOptions options, Kvm.Kvm kvm, VirtualMachine vm, GuestRam ram)
    {
        _options = options;
        _kvm = kvm;
        Vm = vm;
        _ram = ram;
        Serial = new Serial8250(options.SerialOutput ?? Console.OpenStandardOutput(), level => Vm.SetIrqLine(Serial8250.Com1Irq, level));
        IoBus.Register(Serial8250.Com1Port, Serial8250.RegisterCount, Serial);
        IoBus.Register(DebugExitPort.Port, 1, new DebugExitPort(Stop));
        IoBus.Register(PvPanic.Port, 1, new PvPanic(Stop));
        IoBus.Register(AcpiFixedHardware.BasePort, AcpiFixedHardware.RangeLength, new AcpiFixedHardware(Stop, TimeProvider.System));
        IoBus.Register(CmosRtc.IndexPort, CmosRtc.PortCount, new CmosRtc(TimeProvider.System));
        IoBus.Register(I8042Controller.BasePort, I8042Controller.RangeLength, new I8042Controller(Stop));
        // CONFIG_ADDRESS is a dword at 0xCF8 only, so 0xCF9 inside it is the reset control register (PCI 3.0, 3.2.2.3.2).
        IoBus.Register(PciHostBridge.ConfigAddressPort, 1, Pci);
        IoBus.Register(ResetControl.Port, 1, new ResetControl(Stop));
        IoBus.Register(PciHostBridge.ConfigDataPort, PciHostBridge.ConfigDataLength, Pci, PciHostBridge.ConfigDataOffset);
    }

    public VirtualMachine Vm { get; }

    public IGuestMemory Memory => _ram.Memory;

    /// <summary>Guest RAM as a vhost back end maps it; null unless the machine was created with shared memory.</summary>
    public IReadOnlyList<VhostUser.FrontEnd.SharedMemoryRegion>? SharedRegions => _ram.SharedRegions;

    /// <summary>Guest RAM as the kernel's vhost-net takes it (host addresses of this process), shared or not.</summary>
    public IReadOnlyList<VhostUser.FrontEnd.SharedMemoryRegion> MemoryRegions => _ram.Regions;

    public Bus IoBus { get; } = new("pio");

    public Bus MmioBus { get; } = new("mmio");

    public PciHostBridge Pci { get; } = new();

    public Serial8250 Serial { get; }

    /// <summary>How the machine ends; device code may request a stop through it.</summary>
    public MachineStop Stop { get; } = new();

    public int CpuCount => _vcpus.Count;

    /// <summary>The vCPUs, by id; their state may be read (KVM_GET_*) before <see cref="Run"/>.</summary>
    public IReadOnlyList<Vcpu> Vcpus => _vcpus;

    /// <summary>Creates and boots-prepares a machine. Throws BootImageException for a bad image.</summary>
    public static Machine Create(MachineOptions options)
    {
        KernelImage kernel = KernelLoader.Inspect(options.KernelPath);
        if (options.InitrdPath is not null) KernelLoader.CheckInitrd(options.InitrdPath);

        var kvm = Kvm.Kvm.Open();
        VirtualMachine? vm = null;
        GuestRam? ram = null;
        Machine? machine = null;
        try
        {
            vm = kvm.CreateVm();
            vm.SetTssAddress(VirtualMachine.DefaultTssAddress);
            vm.CreateIrqchip();
            vm.CreatePit2();
            ram = new GuestRam(vm, options.MemoryBytes, options.SharedMemory);
            machine = new Machine(options, kvm, vm, ram);
            var cpuid = kvm.GetSupportedCpuid();
            bool tscDeadline = kvm.CheckExtension(KvmCapability.TscDeadlineTimer) != 0;
            for (int id = 0; id < options.CpuCount; id++)
            {
                Vcpu vcpu = vm.CreateVcpu(id);
                machine._vcpus.Add(vcpu);
                VcpuBootSetup.SetCpuid(vcpu, cpuid, options.CpuCount, tscDeadline, KvmHost.RingZeroEmulated);
                VcpuBootSetup.SetBootMsrs(vcpu);
            }
            CpuBootState boot = KernelLoader.Load(ram.Memory, kernel, options.InitrdPath, options.CommandLine, options.CpuCount);
            // Only the boot CPU gets a state; the others wait for INIT/SIPI in the in-kernel LAPIC.
            VcpuBootSetup.ApplyBootState(machine._vcpus[0], boot);
            return machine;
        }
        catch
        {
            if (machine is not null) machine.Dispose();
            else
            {
                ram?.Dispose();
                vm?.Dispose();
                kvm.Dispose();
            }
            throw;
        }
    }

    /// <summary>
    /// Puts a PCI function on bus 0 and its BARs on the MMIO bus (and again wherever the guest moves
    /// them); returns its device number.
    /// </summary>
    public int AddPciDevice(IPciDevice device)
    {
        int number = Pci.Attach(device);
        var mapped = new List<ulong>();
        void Map()
        {
            lock (mapped)
            {
                foreach (ulong start in mapped) MmioBus.Unregister(start);
                mapped.Clear();
                foreach (PciBar bar in device.Bars)
                {
                    if (bar.Address.Value == 0) continue; // the guest is sizing or has not placed it
                    MmioBus.Register(bar.Address.Value, bar.SizeBytes, new PciBarWindow(device, bar.Index));
                    mapped.Add(bar.Address.Value);
                }
            }
        }
        Map();
        device.BarsChanged += Map;
        return number;
    }

    /// <summary>MSI(-X) delivery for a device with <paramref name="vectorCount"/> vectors; disposed with the machine.</summary>
    public MsiRouting CreateMsiRouting(int vectorCount)
    {
        var routing = new MsiRouting(Vm, vectorCount);
        _owned.Add(routing);
        return routing;
    }

    /// <summary>Ties the life of <paramref name="resource"/> (a device back end, an eventfd) to the machine.</summary>
    public void Own(IDisposable resource) => _owned.Add(resource);

    /// <summary>
    /// Runs the vCPUs until the guest exits (isa-debug-exit, ACPI power-off, a reset, every vCPU halted
    /// with interrupts off, a panic), a host signal arrives, or something fails (a triple fault, an
    /// exit KVM cannot handle); then stops every vCPU thread and returns the exit status (see
    /// <see cref="Stop"/> for an error message or a notice).
    /// </summary>
    public int Run()
    {
        if (_ran) throw new InvalidOperationException("a machine runs once");
        _ran = true;
        _ = VcpuKickSignal.Number; // install the kick handler before any vCPU can need it
        using var signals = _options.HandleHostSignals ? new HostSignalWatcher(Stop) : null;
        using var terminal = _options.ForwardStdin ? new TerminalInput(Serial) : null;
        var runners = _vcpus.Select(v => new VcpuRunner(v, IoBus, MmioBus, Stop)).ToList();
        foreach (var runner in runners) runner.Start();
        var haltWatch = new GuestHaltWatch(runners);
        while (!Stop.Wait(GuestHaltWatch.Interval))
        {
            // A guest that halted every CPU with interrupts off (Linux's `halt`) has ended: status 0.
            if (haltWatch.GuestHasStopped()) Stop.Request(0);
        }
        foreach (var runner in runners)
        {
            if (!runner.StopAndJoin(TimeSpan.FromSeconds(5)))
                throw new InvalidOperationException("a vCPU thread did not leave KVM_RUN within 5 s");
        }
        return Stop.Status;
    }

    public void Dispose()
    {
        for (int i = _owned.Count - 1; i >= 0; i--) _owned[i].Dispose();
        foreach (var vcpu in _vcpus) vcpu.Dispose();
        Vm.Dispose();
        _ram.Dispose();
        _kvm.Dispose();
    }
}
