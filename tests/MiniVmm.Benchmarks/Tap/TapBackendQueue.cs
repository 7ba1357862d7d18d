using MiniVmm.HostNet;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Benchmarks.Tap;

/// <summary>The device's back-end port over one real TAP queue fd: what the machine attaches to a queue pair.</summary>
public sealed class TapBackendQueue(TapQueue queue) : INetBackendQueue
{
    public int Read(Span<byte> packetWithVnetHeader) => queue.Read(packetWithVnetHeader);

    public bool Write(ReadOnlySpan<byte> packetWithVnetHeader) => queue.Write(packetWithVnetHeader);
}
