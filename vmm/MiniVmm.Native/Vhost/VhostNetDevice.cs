using Tmds.Linux;

namespace MiniVmm.Native.Vhost;

/// <summary>
/// One /dev/vhost-net fd (drivers/vhost/net.c): a kernel worker that moves packets between two rings
/// (0 = receive, 1 = transmit) and a TAP queue, reading guest RAM through this process's mappings.
/// Closing the fd stops the worker and drops its hold on the TAP queue.
/// </summary>
public sealed unsafe class VhostNetDevice : IVhostDevice
{
    public const string DevicePath = "/dev/vhost-net";

    private readonly FileDescriptor _fd;

    private VhostNetDevice(FileDescriptor fd) => _fd = fd;

    /// <summary>Opens <paramref name="path"/> read-write; throws <see cref="SyscallException"/> with the open's errno.</summary>
    public static VhostNetDevice Open(string path = DevicePath) => new(FileDescriptor.Open(path, LibC.O_RDWR));

    public ulong GetFeatures()
    {
        ulong features = 0;
        // Safe: VHOST_GET_FEATURES writes one __u64 into the local.
        Ioctl.Invoke(_fd, VhostIoctl.VHOST_GET_FEATURES, "VHOST_GET_FEATURES", &features);
        return features;
    }

    public void SetOwner() => Ioctl.Invoke(_fd, VhostIoctl.VHOST_SET_OWNER, "VHOST_SET_OWNER");

    public void SetFeatures(ulong features)
    {
        // Safe: VHOST_SET_FEATURES reads one __u64 from the local.
        Ioctl.Invoke(_fd, VhostIoctl.VHOST_SET_FEATURES, $"VHOST_SET_FEATURES 0x{features:x}", &features);
    }

    public void SetMemTable(ReadOnlySpan<VhostMemoryRegion> regions)
    {
        int bytes = sizeof(VhostMemory) + regions.Length * sizeof(VhostMemoryRegion);
        byte[] table = new byte[bytes];
        fixed (byte* p = table)
        {
            // Safe: the buffer holds the header and every region; the kernel reads nregions regions after the header.
            *(VhostMemory*)p = new VhostMemory { NRegions = (uint)regions.Length };
            regions.CopyTo(new Span<VhostMemoryRegion>(p + sizeof(VhostMemory), regions.Length));
            Ioctl.Invoke(_fd, VhostIoctl.VHOST_SET_MEM_TABLE, $"VHOST_SET_MEM_TABLE ({regions.Length} regions)", p);
        }
    }

    public void SetVringNum(VhostVringState state) => State(VhostIoctl.VHOST_SET_VRING_NUM, "VHOST_SET_VRING_NUM", state);

    public void SetVringBase(VhostVringState state) => State(VhostIoctl.VHOST_SET_VRING_BASE, "VHOST_SET_VRING_BASE", state);

    public void SetVringAddr(VhostVringAddr address)
    {
        // Safe: VHOST_SET_VRING_ADDR reads one struct vhost_vring_addr from the local.
        Ioctl.Invoke(_fd, VhostIoctl.VHOST_SET_VRING_ADDR, $"VHOST_SET_VRING_ADDR {address}", &address);
    }

    public VhostVringState GetVringBase(uint index)
    {
        var state = new VhostVringState(index, 0);
        // Safe: VHOST_GET_VRING_BASE reads the index from and writes num into the local.
        Ioctl.Invoke(_fd, VhostIoctl.VHOST_GET_VRING_BASE, $"VHOST_GET_VRING_BASE {index}", &state);
        return state;
    }

    public void SetVringKick(uint index, FileDescriptor eventFd) => File(VhostIoctl.VHOST_SET_VRING_KICK, "VHOST_SET_VRING_KICK", index, eventFd);

    public void SetVringCall(uint index, FileDescriptor eventFd) => File(VhostIoctl.VHOST_SET_VRING_CALL, "VHOST_SET_VRING_CALL", index, eventFd);

    public void NetSetBackend(uint index, FileDescriptor? socket) => File(VhostIoctl.VHOST_NET_SET_BACKEND, "VHOST_NET_SET_BACKEND", index, socket);

    public void Dispose() => _fd.Dispose();

    private void State(uint request, string name, VhostVringState state)
    {
        // Safe: the request reads one struct vhost_vring_state from the local.
        Ioctl.Invoke(_fd, request, $"{name} {state}", &state);
    }

    private void File(uint request, string name, uint index, FileDescriptor? file)
    {
        bool added = false;
        try
        {
            // The kernel takes its own reference to the file during the call; ours keeps the number valid until then.
            file?.DangerousAddRef(ref added);
            var arg = new VhostVringFile { Index = index, Fd = file?.Fd ?? VhostIoctl.VHOST_FILE_UNBIND };
            // Safe: the request reads one struct vhost_vring_file from the local.
            Ioctl.Invoke(_fd, request, $"{name} {{index {index}, fd {arg.Fd}}}", &arg);
        }
        finally
        {
            if (added) file!.DangerousRelease();
        }
    }
}
