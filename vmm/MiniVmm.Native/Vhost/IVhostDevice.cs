namespace MiniVmm.Native.Vhost;

/// <summary>
/// One vhost device fd as the VMM drives it, one method per ioctl of linux/vhost.h: the kernel's
/// (<see cref="VhostNetDevice"/>, one /dev/vhost-net fd per queue pair) or, in tests, a fake that
/// records each call with its arguments. A ring index is the fd's own (vhost-net: 0 = receive,
/// 1 = transmit). Every failure is a <see cref="SyscallException"/> naming the ioctl.
/// </summary>
public interface IVhostDevice : IDisposable
{
    /// <summary>VHOST_GET_FEATURES: the virtio and vhost feature bits the kernel offers.</summary>
    ulong GetFeatures();

    /// <summary>VHOST_SET_OWNER: this process owns the device; its memory is what the table's user addresses mean.</summary>
    void SetOwner();

    /// <summary>VHOST_SET_FEATURES: the bits the driver accepted, masked to <see cref="GetFeatures"/>.</summary>
    void SetFeatures(ulong features);

    /// <summary>VHOST_SET_MEM_TABLE: guest-physical ranges and where this process maps them.</summary>
    void SetMemTable(ReadOnlySpan<VhostMemoryRegion> regions);

    /// <summary>VHOST_SET_VRING_NUM: the ring's size.</summary>
    void SetVringNum(VhostVringState state);

    /// <summary>VHOST_SET_VRING_BASE: where the ring resumes (its last_avail_idx).</summary>
    void SetVringBase(VhostVringState state);

    /// <summary>VHOST_SET_VRING_ADDR: the ring's descriptor table, available and used rings, as user addresses.</summary>
    void SetVringAddr(VhostVringAddr address);

    /// <summary>VHOST_GET_VRING_BASE: the ring's last_avail_idx (stop it first with <see cref="NetSetBackend"/> and no socket).</summary>
    VhostVringState GetVringBase(uint index);

    /// <summary>VHOST_SET_VRING_KICK: the eventfd the guest's notifications arrive on (a KVM ioeventfd).</summary>
    void SetVringKick(uint index, FileDescriptor eventFd);

    /// <summary>VHOST_SET_VRING_CALL: the eventfd the kernel signals for a used buffer notification (a KVM irqfd).</summary>
    void SetVringCall(uint index, FileDescriptor eventFd);

    /// <summary>VHOST_NET_SET_BACKEND: the TAP queue the ring moves packets to and from; null (VHOST_FILE_UNBIND) stops the ring.</summary>
    void NetSetBackend(uint index, FileDescriptor? socket);
}
