namespace MiniVmm.Native.Kvm;

/// <summary>
/// The KVM ioctl request numbers the VMM uses (linux/kvm.h, KVMIO = 0xAE). Computed from the
/// interop struct sizes; a unit test compares every value with the kernel headers.
/// </summary>
public static unsafe class KvmIoctls
{
    private const uint KvmIo = 0xAE;

    // System ioctls (on /dev/kvm).
    public static readonly uint GetApiVersion = Ioctl.IO(KvmIo, 0x00);
    public static readonly uint CreateVm = Ioctl.IO(KvmIo, 0x01);
    public static readonly uint CheckExtension = Ioctl.IO(KvmIo, 0x03);
    public static readonly uint GetVcpuMmapSize = Ioctl.IO(KvmIo, 0x04);
    public static readonly uint GetSupportedCpuid = Ioctl.IOWR(KvmIo, 0x05, (uint)sizeof(KvmCpuid2));

    // VM ioctls.
    public static readonly uint CreateVcpu = Ioctl.IO(KvmIo, 0x41);
    public static readonly uint SetUserMemoryRegion = Ioctl.IOW(KvmIo, 0x46, (uint)sizeof(KvmUserspaceMemoryRegion));
    public static readonly uint SetTssAddr = Ioctl.IO(KvmIo, 0x47);
    public static readonly uint SetIdentityMapAddr = Ioctl.IOW(KvmIo, 0x48, sizeof(ulong));
    public static readonly uint CreateIrqchip = Ioctl.IO(KvmIo, 0x60);
    public static readonly uint IrqLine = Ioctl.IOW(KvmIo, 0x61, (uint)sizeof(KvmIrqLevel));
    public static readonly uint SetGsiRouting = Ioctl.IOW(KvmIo, 0x6a, (uint)sizeof(KvmIrqRouting));
    public static readonly uint IrqFd = Ioctl.IOW(KvmIo, 0x76, (uint)sizeof(KvmIrqFd));
    public static readonly uint CreatePit2 = Ioctl.IOW(KvmIo, 0x77, (uint)sizeof(KvmPitConfig));
    public static readonly uint IoEventFd = Ioctl.IOW(KvmIo, 0x79, (uint)sizeof(KvmIoEventFd));

    // vCPU ioctls.
    public static readonly uint Run = Ioctl.IO(KvmIo, 0x80);
    public static readonly uint GetRegs = Ioctl.IOR(KvmIo, 0x81, (uint)sizeof(KvmRegs));
    public static readonly uint SetRegs = Ioctl.IOW(KvmIo, 0x82, (uint)sizeof(KvmRegs));
    public static readonly uint GetSregs = Ioctl.IOR(KvmIo, 0x83, (uint)sizeof(KvmSregs));
    public static readonly uint SetSregs = Ioctl.IOW(KvmIo, 0x84, (uint)sizeof(KvmSregs));
    public static readonly uint GetMsrs = Ioctl.IOWR(KvmIo, 0x88, (uint)sizeof(KvmMsrs));
    public static readonly uint SetMsrs = Ioctl.IOW(KvmIo, 0x89, (uint)sizeof(KvmMsrs));
    public static readonly uint SetCpuid2 = Ioctl.IOW(KvmIo, 0x90, (uint)sizeof(KvmCpuid2));
    public static readonly uint GetCpuid2 = Ioctl.IOWR(KvmIo, 0x91, (uint)sizeof(KvmCpuid2));
    public static readonly uint GetMpState = Ioctl.IOR(KvmIo, 0x98, (uint)sizeof(KvmMpState));
}
