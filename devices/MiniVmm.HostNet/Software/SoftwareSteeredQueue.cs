using MiniVmm.HostNet.Steering;
using MiniVmm.Virtio.Net;
using MiniVmm.Virtio.Net.Rss;

namespace MiniVmm.HostNet.Software;

/// <summary>
/// Pair k's back-end port under software steering. The kernel put a packet on TAP queue k by its
/// own flow hash; this port hashes it in-process and, when the guest's RSS table names another
/// queue, hands it to that queue's worker (<see cref="SteeringExchange"/>) instead of returning it.
/// Packets handed to pair k by other workers come first. Runs on pair k's worker only.
/// </summary>
public sealed class SoftwareSteeredQueue(int pair, TapQueue tap, SteeringExchange exchange, SoftwareSteeringBackend backend)
    : INetBackendQueue
{
    /// <summary>Forwards per Read call before giving the worker back to its event loop (the TAP stays readable).</summary>
    private const int ForwardBudget = 64;

    public BackendHeader Header => tap.Header;

    public int Read(Span<byte> packetWithVnetHeader)
    {
        int headerBytes = tap.Header.Bytes;
        int length = exchange.TryReceive(pair, packetWithVnetHeader);
        if (length > 0) return length;
        for (int i = 0; i < ForwardBudget; i++)
        {
            length = tap.Read(packetWithVnetHeader);
            if (length <= headerBytes) return length;
            RssConfiguration? config = backend.Configuration;
            int pairs = backend.ActivePairs;
            if (config is null || !config.SteeringEnabled || pairs <= 1) return length;
            RssResult result = RssHasher.Compute(packetWithVnetHeader[headerBytes..length], config);
            // The pair count may shrink after the table was set: wrap, as the kernel's tun does.
            int target = result.Queue < pairs ? result.Queue : result.Queue % pairs;
            if (target == pair) return length;
            exchange.Forward(pair, target, packetWithVnetHeader[..length]);
        }
        return 0;
    }

    public bool Write(ReadOnlySpan<byte> packetWithVnetHeader) => tap.Write(packetWithVnetHeader);
}
