using MiniVmm.Native;
using MiniVmm.Native.Vhost;

namespace MiniVmm.Testing;

/// <summary>
/// One fake vhost-net fd of a <see cref="FakeVhostNet"/>: records each ioctl in the kernel header's
/// words and keeps what GET_VRING_BASE needs (the base each ring was given). Fds passed in are logged
/// by number, so a test compares them with the eventfds and TAP queues it created.
/// </summary>
public sealed class FakeVhostDevice(FakeVhostNet kernel, string name) : IVhostDevice
{
    private readonly Dictionary<uint, uint> _bases = [];

    public string Name => name;

    public bool Disposed { get; private set; }

    public ulong GetFeatures()
    {
        kernel.Record(name, "VHOST_GET_FEATURES");
        return kernel.Features;
    }

    public void SetOwner() => kernel.Record(name, "VHOST_SET_OWNER");

    public void SetFeatures(ulong features) => kernel.Record(name, $"VHOST_SET_FEATURES 0x{features:x}");

    public void SetMemTable(ReadOnlySpan<VhostMemoryRegion> regions)
    {
        var parts = new List<string>();
        foreach (VhostMemoryRegion r in regions) parts.Add($"{{gpa 0x{r.GuestPhysAddr:x}, size 0x{r.MemorySize:x}, uaddr 0x{r.UserspaceAddr:x}, flags {r.FlagsPadding}}}");
        kernel.Record(name, $"VHOST_SET_MEM_TABLE {string.Join(" ", parts)}");
    }

    public void SetVringNum(VhostVringState state) => kernel.Record(name, $"VHOST_SET_VRING_NUM {state}");

    public void SetVringBase(VhostVringState state)
    {
        kernel.Record(name, $"VHOST_SET_VRING_BASE {state}");
        _bases[state.Index] = state.Num;
    }

    public void SetVringAddr(VhostVringAddr address) => kernel.Record(name, $"VHOST_SET_VRING_ADDR {address}");

    public VhostVringState GetVringBase(uint index)
    {
        kernel.Record(name, $"VHOST_GET_VRING_BASE {index}");
        uint consumed = kernel.Consumed.TryGetValue($"{name} ring{index}", out ushort n) ? n : 0u;
        return new VhostVringState(index, (ushort)((_bases.TryGetValue(index, out uint b) ? b : 0) + consumed));
    }

    public void SetVringKick(uint index, FileDescriptor eventFd) => kernel.Record(name, $"VHOST_SET_VRING_KICK {{index {index}, fd {eventFd.Fd}}}");

    public void SetVringCall(uint index, FileDescriptor eventFd) => kernel.Record(name, $"VHOST_SET_VRING_CALL {{index {index}, fd {eventFd.Fd}}}");

    public void NetSetBackend(uint index, FileDescriptor? socket) =>
        kernel.Record(name, $"VHOST_NET_SET_BACKEND {{index {index}, fd {socket?.Fd ?? VhostIoctl.VHOST_FILE_UNBIND}}}");

    public void Dispose()
    {
        if (Disposed) return;
        Disposed = true;
        kernel.Record(name, "close");
    }
}
