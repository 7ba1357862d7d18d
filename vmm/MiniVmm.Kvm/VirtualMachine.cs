using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Native.Kvm;

namespace MiniVmm.Kvm;

/// <summary>A KVM VM fd: memory slots, the in-kernel irqchip and PIT, IRQ lines, ioeventfd/irqfd, vCPUs.</summary>
public sealed class VirtualMachine : IDisposable
{
    /// <summary>Where the VMX TSS goes (3 pages below the BIOS area, as QEMU and kvmtool do).</summary>
    public const ulong DefaultTssAddress = 0xFFFB_D000;

    private readonly FileDescriptor _fd;
    private readonly int _vcpuMmapSize;
    private GsiRoutingTable? _routing;

    internal VirtualMachine(FileDescriptor fd, int vcpuMmapSize)
    {
        _fd = fd;
        _vcpuMmapSize = vcpuMmapSize;
    }

    /// <summary>The GSI routing table; exists once <see cref="CreateIrqchip"/> has run.</summary>
    public GsiRoutingTable Routing => _routing ?? throw new InvalidOperationException("no irqchip: call CreateIrqchip first");

    public int CheckExtension(KvmCapability capability) =>
        Ioctl.Invoke(_fd, KvmIoctls.CheckExtension, "KVM_CHECK_EXTENSION", (long)capability);

    public void SetTssAddress(ulong address) => Ioctl.Invoke(_fd, KvmIoctls.SetTssAddr, "KVM_SET_TSS_ADDR", (long)address);

    /// <summary>KVM_CREATE_IRQCHIP: PIC, IOAPIC and a local APIC per vCPU, all in the kernel.</summary>
    public void CreateIrqchip()
    {
        Ioctl.Invoke(_fd, KvmIoctls.CreateIrqchip, "KVM_CREATE_IRQCHIP");
        _routing = new GsiRoutingTable(_fd);
    }

    /// <summary>KVM_CREATE_PIT2: the i8254 timer in the kernel, with its port 0x61 speaker stub.</summary>
    public unsafe void CreatePit2()
    {
        var config = new KvmPitConfig { Flags = KvmPitConfig.SpeakerDummy };
        // Safe: the kernel reads/writes exactly sizeof(struct) bytes at this pointer to a live local.
        Ioctl.Invoke(_fd, KvmIoctls.CreatePit2, "KVM_CREATE_PIT2", &config);
    }

    /// <summary>Backs [guestAddress, guestAddress + sizeBytes) with host memory at hostAddress.</summary>
    public unsafe void SetUserMemoryRegion(uint slot, GuestAddress guestAddress, ulong sizeBytes, void* hostAddress)
    {
        // Safe: hostAddress must stay mapped while the slot exists; GuestRam owns both and unmaps last.
        var region = new KvmUserspaceMemoryRegion
        {
            Slot = slot,
            GuestPhysAddr = guestAddress.Value,
            MemorySize = sizeBytes,
            UserspaceAddr = (ulong)hostAddress,
        };
        Ioctl.Invoke(_fd, KvmIoctls.SetUserMemoryRegion, "KVM_SET_USER_MEMORY_REGION", &region);
    }

    /// <summary>KVM_IRQ_LINE: drives GSI <paramref name="gsi"/> high or low.</summary>
    public unsafe void SetIrqLine(uint gsi, bool high)
    {
        var level = new KvmIrqLevel { Irq = gsi, Level = high ? 1u : 0u };
        // Safe: the kernel reads/writes exactly sizeof(struct) bytes at this pointer to a live local.
        Ioctl.Invoke(_fd, KvmIoctls.IrqLine, "KVM_IRQ_LINE", &level);
    }

    /// <summary>
    /// KVM_IOEVENTFD: a guest write of <paramref name="length"/> bytes (1, 2, 4 or 8; 0 = any) at
    /// <paramref name="address"/> (MMIO, or a port when <paramref name="isPort"/>) signals
    /// <paramref name="eventFd"/> without leaving the kernel. With <paramref name="dataMatch"/>
    /// only writes of that value do.
    /// </summary>
    public void RegisterIoEventFd(EventFd eventFd, GuestAddress address, uint length, bool isPort = false, ulong? dataMatch = null) =>
        IoEventFd(eventFd, address, length, isPort, dataMatch, deassign: false);

    /// <summary>Undoes <see cref="RegisterIoEventFd"/> (same arguments).</summary>
    public void UnregisterIoEventFd(EventFd eventFd, GuestAddress address, uint length, bool isPort = false, ulong? dataMatch = null) =>
        IoEventFd(eventFd, address, length, isPort, dataMatch, deassign: true);

    private unsafe void IoEventFd(EventFd eventFd, GuestAddress address, uint length, bool isPort, ulong? dataMatch, bool deassign)
    {
        var request = new KvmIoEventFd
        {
            Addr = address.Value,
            Len = length,
            Fd = eventFd.Fd,
            DataMatch = dataMatch ?? 0,
            Flags = (isPort ? KvmIoEventFd.FlagPio : 0)
                | (dataMatch.HasValue ? KvmIoEventFd.FlagDataMatch : 0)
                | (deassign ? KvmIoEventFd.FlagDeassign : 0),
        };
        // Safe: the kernel reads/writes exactly sizeof(struct) bytes at this pointer to a live local.
        Ioctl.Invoke(_fd, KvmIoctls.IoEventFd, "KVM_IOEVENTFD", &request);
    }

    /// <summary>KVM_IRQFD: a write to <paramref name="eventFd"/> injects <paramref name="gsi"/> in the kernel.</summary>
    public void RegisterIrqFd(EventFd eventFd, uint gsi) => IrqFd(eventFd, gsi, 0);

    public void UnregisterIrqFd(EventFd eventFd, uint gsi) => IrqFd(eventFd, gsi, KvmIrqFd.FlagDeassign);

    private unsafe void IrqFd(EventFd eventFd, uint gsi, uint flags)
    {
        var request = new KvmIrqFd { Fd = (uint)eventFd.Fd, Gsi = gsi, Flags = flags };
        // Safe: the kernel reads/writes exactly sizeof(struct) bytes at this pointer to a live local.
        Ioctl.Invoke(_fd, KvmIoctls.IrqFd, "KVM_IRQFD", &request);
    }

    /// <summary>KVM_CREATE_VCPU with its kvm_run page mapped.</summary>
    public Vcpu CreateVcpu(int id)
    {
        var vcpuFd = FileDescriptor.FromResult(Ioctl.Invoke(_fd, KvmIoctls.CreateVcpu, "KVM_CREATE_VCPU", id), "KVM_CREATE_VCPU");
        try
        {
            var run = MappedRegion.Shared(vcpuFd, (ulong)_vcpuMmapSize, "kvm_run");
            return new Vcpu(id, vcpuFd, run);
        }
        catch
        {
            vcpuFd.Dispose();
            throw;
        }
    }

    public void Dispose() => _fd.Dispose();
}
