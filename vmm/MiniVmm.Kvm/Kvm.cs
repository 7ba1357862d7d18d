using MiniVmm.Native;
using MiniVmm.Native.Kvm;
using Tmds.Linux;

namespace MiniVmm.Kvm;

/// <summary>The KVM system fd (/dev/kvm): API version, capabilities, and the factory for VMs.</summary>
public sealed class Kvm : IDisposable
{
    /// <summary>KVM_API_VERSION: the only version the kernel has ever reported.</summary>
    public const int ExpectedApiVersion = 12;

    private readonly FileDescriptor _fd;

    private Kvm(FileDescriptor fd)
    {
        _fd = fd;
    }

    /// <summary>Opens /dev/kvm and checks the API version.</summary>
    public static Kvm Open(string path = "/dev/kvm")
    {
        var kvm = new Kvm(FileDescriptor.Open(path, LibC.O_RDWR));
        int version = kvm.ApiVersion;
        if (version != ExpectedApiVersion)
        {
            kvm.Dispose();
            throw new InvalidOperationException($"{path}: KVM API version {version}, expected {ExpectedApiVersion}");
        }
        return kvm;
    }

    public int ApiVersion => Ioctl.Invoke(_fd, KvmIoctls.GetApiVersion, "KVM_GET_API_VERSION");

    /// <summary>KVM_CHECK_EXTENSION: 0 when absent, otherwise 1 or a capability-specific number.</summary>
    public int CheckExtension(KvmCapability capability) =>
        Ioctl.Invoke(_fd, KvmIoctls.CheckExtension, "KVM_CHECK_EXTENSION", (long)capability);

    /// <summary>Bytes to mmap from a vCPU fd (the kvm_run page and what follows it).</summary>
    public int VcpuMmapSize => Ioctl.Invoke(_fd, KvmIoctls.GetVcpuMmapSize, "KVM_GET_VCPU_MMAP_SIZE");

    /// <summary>KVM_GET_SUPPORTED_CPUID: the CPUID leaves KVM can present to a guest.</summary>
    public unsafe KvmCpuidEntry2[] GetSupportedCpuid()
    {
        const int MaxEntries = 256;
        int bytes = sizeof(KvmCpuid2) + MaxEntries * sizeof(KvmCpuidEntry2);
        byte* buffer = stackalloc byte[bytes];
        new Span<byte>(buffer, bytes).Clear();
        // Safe: the buffer holds the header plus MaxEntries entries, which is what nent announces.
        var header = (KvmCpuid2*)buffer;
        header->Nent = MaxEntries;
        Ioctl.Invoke(_fd, KvmIoctls.GetSupportedCpuid, "KVM_GET_SUPPORTED_CPUID", buffer);
        var entries = new KvmCpuidEntry2[Math.Min(header->Nent, MaxEntries)];
        new ReadOnlySpan<KvmCpuidEntry2>(buffer + sizeof(KvmCpuid2), entries.Length).CopyTo(entries);
        return entries;
    }

    /// <summary>KVM_CREATE_VM: a new, empty VM.</summary>
    public VirtualMachine CreateVm()
    {
        var vmFd = FileDescriptor.FromResult(Ioctl.Invoke(_fd, KvmIoctls.CreateVm, "KVM_CREATE_VM"), "KVM_CREATE_VM");
        return new VirtualMachine(vmFd, VcpuMmapSize);
    }

    public void Dispose() => _fd.Dispose();
}
