using MiniVmm.Memory;
using MiniVmm.Native;
using MiniVmm.Native.Vhost;
using MiniVmm.VhostUser.FrontEnd;
using MiniVmm.Virtio;

namespace MiniVmm.HostNet.VhostNet;

/// <summary>
/// The kernel's vhost-net as an <see cref="IVhostBackend"/>: one vhost device fd per queue pair (as
/// QEMU opens them), each carrying the pair's receive ring (its ring 0) and transmit ring (ring 1) to
/// and from the pair's TAP queue. The same front-end calls as vhost-user, turned into the vhost ioctls;
/// ring and table addresses are this process's own (<see cref="SharedMemoryRegion.HostAddress"/>), since
/// the kernel reads guest RAM through our mappings. The control queue is never the kernel's: the VMM
/// answers it. Calls come from one thread at a time (VhostNetDataPath's lock); every failure is a
/// <see cref="VhostBackendException"/> naming the pair and the ioctl.
/// </summary>
public sealed class VhostNetBackend : IVhostBackend
{
    /// <summary>Bits the kernel offers that are about vhost itself, never for a guest: write logging and vhost-made headers.</summary>
    public static readonly ulong VhostOnlyFeatures =
        VirtioFeature.Bit(VhostIoctl.VHOST_F_LOG_ALL) | VirtioFeature.Bit(VhostIoctl.VHOST_NET_F_VIRTIO_NET_HDR);

    private readonly IVhostDevice[] _devices;
    private readonly FileDescriptor[] _tapQueues;
    private IReadOnlyList<SharedMemoryRegion> _regions = [];

    private VhostNetBackend(IVhostDevice[] devices, FileDescriptor[] tapQueues, ulong features)
    {
        _devices = devices;
        _tapQueues = tapQueues;
        Features = features;
        Name = $"vhost-net ({devices.Length} fds)";
    }

    public string Name { get; }

    /// <summary>What every vhost-net fd offers (VHOST_GET_FEATURES), without <see cref="VhostOnlyFeatures"/>.</summary>
    public ulong Features { get; }

    public int QueuePairs => _devices.Length;

    /// <summary>The kernel never changes its configuration and never goes away: neither event is raised.</summary>
    public event Action? ConfigChanged { add { } remove { } }

    public event Action? Disconnected { add { } remove { } }

    /// <summary>
    /// Opens one vhost device per TAP queue with <paramref name="open"/> and, on each, VHOST_SET_OWNER
    /// (this process's memory becomes what user addresses mean) and VHOST_GET_FEATURES. Throws
    /// VhostBackendException with one line; the fds opened so far are closed then.
    /// </summary>
    /// <param name="tapQueues">Queue k's TAP fd, the back end of pair k's rings; still owned by the caller.</param>
    public static VhostNetBackend Open(IReadOnlyList<FileDescriptor> tapQueues, Func<IVhostDevice> open)
    {
        if (tapQueues.Count == 0) throw new ArgumentException("vhost-net needs at least one TAP queue", nameof(tapQueues));
        var devices = new List<IVhostDevice>();
        try
        {
            ulong features = ulong.MaxValue;
            for (int k = 0; k < tapQueues.Count; k++)
            {
                IVhostDevice device = Call(k, () => open());
                devices.Add(device);
                Call(k, device.SetOwner);
                features &= Call(k, device.GetFeatures);
            }
            return new VhostNetBackend([.. devices], [.. tapQueues], features & ~VhostOnlyFeatures);
        }
        catch
        {
            foreach (IVhostDevice device in devices) device.Dispose();
            throw;
        }
    }

    public bool TryReadConfig(Span<byte> config) => false;

    /// <summary>VHOST_SET_FEATURES on every fd. Without VHOST_NET_F_VIRTIO_NET_HDR the kernel passes the TAP's vnet header through as the guest's.</summary>
    public void SetFeatures(ulong features)
    {
        if ((features & ~Features) != 0) throw new VhostBackendException($"{Name}: features 0x{features & ~Features:x} are not offered by the kernel (0x{Features:x})");
        for (int k = 0; k < _devices.Length; k++) Call(k, () => _devices[k].SetFeatures(features));
    }

    /// <summary>VHOST_SET_MEM_TABLE on every fd: guest-physical ranges and where this process maps them.</summary>
    public void SetMemoryTable(IReadOnlyList<SharedMemoryRegion> regions)
    {
        if (regions.Count == 0) throw new ArgumentException("no memory regions", nameof(regions));
        if (regions.FirstOrDefault(r => r.HostAddress == 0) is SharedMemoryRegion unmapped)
        {
            throw new ArgumentException($"the region at guest {unmapped.GuestAddress} has no host address; vhost-net needs the VMM's mapping", nameof(regions));
        }
        VhostMemoryRegion[] table = [.. regions.Select(r => new VhostMemoryRegion
        {
            GuestPhysAddr = r.GuestAddress.Value,
            MemorySize = r.SizeBytes,
            UserspaceAddr = r.HostAddress,
        })];
        for (int k = 0; k < _devices.Length; k++) Call(k, () => _devices[k].SetMemTable(table));
        _regions = regions;
    }

    /// <summary>
    /// QEMU's order (vhost_virtqueue_start, then vhost_net_start_one): SET_VRING_NUM, SET_VRING_BASE,
    /// SET_VRING_ADDR, SET_VRING_KICK, SET_VRING_CALL, and VHOST_NET_SET_BACKEND with the pair's TAP
    /// queue, which starts the kernel's work on the ring.
    /// </summary>
    public void StartRing(VhostRing ring, ushort lastAvail, FileDescriptor kick, FileDescriptor call)
    {
        (int pair, uint index) = Locate(ring.Index);
        IVhostDevice device = _devices[pair];
        var address = new VhostVringAddr
        {
            Index = index,
            // virtio 1.2 §2.7: 16 bytes per descriptor; avail flags, idx, ring[n], used_event; used flags, idx, ring[n] of 8 bytes, avail_event.
            DescUserAddr = Host(ring, "descriptor table", ring.DescriptorTable, 16UL * ring.Size),
            AvailUserAddr = Host(ring, "available ring", ring.AvailableRing, 6UL + 2UL * ring.Size),
            UsedUserAddr = Host(ring, "used ring", ring.UsedRing, 6UL + 8UL * ring.Size),
        };
        Call(pair, () => device.SetVringNum(new VhostVringState(index, ring.Size)));
        Call(pair, () => device.SetVringBase(new VhostVringState(index, lastAvail)));
        Call(pair, () => device.SetVringAddr(address));
        Call(pair, () => device.SetVringKick(index, kick));
        Call(pair, () => device.SetVringCall(index, call));
        Call(pair, () => device.NetSetBackend(index, _tapQueues[pair]));
    }

    /// <summary>VHOST_NET_SET_BACKEND -1 stops the ring (the kernel's GET_VRING_BASE alone does not), then VHOST_GET_VRING_BASE.</summary>
    public ushort StopRing(int index)
    {
        (int pair, uint ring) = Locate(index);
        Call(pair, () => _devices[pair].NetSetBackend(ring, null));
        VhostVringState state = Call(pair, () => _devices[pair].GetVringBase(ring));
        if (state.Index != ring) throw new VhostBackendException($"{Name}: VHOST_GET_VRING_BASE for ring {ring} of pair {pair} answered ring {state.Index}");
        return (ushort)state.Num;
    }

    /// <summary>VQ_PAIRS_SET: a pair's rings get their TAP queue back (enabled) or none (disabled); the ring state stays.</summary>
    public void SetRingEnabled(int index, bool enabled)
    {
        (int pair, uint ring) = Locate(index);
        Call(pair, () => _devices[pair].NetSetBackend(ring, enabled ? _tapQueues[pair] : null));
    }

    public void Dispose()
    {
        // Closing a vhost-net fd stops its worker and releases the TAP queue it held.
        foreach (IVhostDevice device in _devices) device.Dispose();
    }

    /// <summary>Queue q of the device is ring q % 2 of pair q / 2's fd; the control queue (2N) has none.</summary>
    private (int Pair, uint Ring) Locate(int queue)
    {
        if (queue < 0 || queue >= 2 * _devices.Length)
        {
            throw new VhostBackendException($"{Name}: queue {queue} is not a data ring of {_devices.Length} pairs (the control queue stays with the VMM)");
        }
        return (queue / 2, (uint)(queue % 2));
    }

    private ulong Host(VhostRing ring, string part, GuestAddress address, ulong bytes)
    {
        foreach (SharedMemoryRegion region in _regions)
        {
            if (region.TryTranslateToHost(address, bytes, out ulong host)) return host;
        }
        throw new VhostBackendException($"{Name}: ring {ring.Index}'s {part} at {address} ({bytes} bytes) is not inside one region of guest RAM");
    }

    private static void Call(int pair, Action ioctl) => Call(pair, () => { ioctl(); return 0; });

    private static T Call<T>(int pair, Func<T> ioctl)
    {
        try
        {
            return ioctl();
        }
        catch (SyscallException e)
        {
            throw new VhostBackendException($"vhost-net pair {pair}: {e.Message}");
        }
    }
}
