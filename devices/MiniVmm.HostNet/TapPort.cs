using MiniVmm.Native;
using MiniVmm.Native.Net;
using MiniVmm.Rss;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet;

/// <summary>
/// Pair k's port when the kernel puts each packet on its queue (its own flow hash, our BPF program,
/// or tun's RSS): the TAP queue itself. The reported hash comes from the 20-byte vnet header while
/// the kernel fills it (tun hashing, the hash-storing kfunc: <see cref="KernelFillsHash"/>); otherwise
/// the VMM hashes the frame in-process.
/// </summary>
public sealed class TapPort(TapQueue queue) : IPairPort
{
    private volatile bool _kernelFillsHash;

    public TapQueue Queue => queue;

    public FileDescriptor Handle => queue.Handle;

    public EventFd? Wakeup => null;

    public bool ServesWhileStalled => false;

    public int HeaderBytes => queue.HeaderBytes;

    /// <summary>Whether the kernel is asked to write hash_value / hash_report into each packet's 20-byte header.</summary>
    public bool KernelFillsHash
    {
        get => _kernelFillsHash;
        set => _kernelFillsHash = value && queue.HeaderBytes == VirtioNetHeader.HashBytes;
    }

    public BackendResult Read(Span<byte> packet)
    {
        if (_kernelFillsHash)
        {
            // A kernel that does not fill the fields for some packet leaves these bytes as they were: make that "no hash".
            packet[VirtioNetHeader.HashValueOffset..VirtioNetHeader.HashBytes].Clear();
        }
        return queue.Read(packet);
    }

    public BackendResult Write(ReadOnlySpan<byte> packet) => queue.Write(packet);

    public RxHash HashOf(ReadOnlySpan<byte> packet, RssConfiguration configuration)
    {
        if (_kernelFillsHash)
        {
            return VirtioNetHeader.ReadHash(packet);
        }
        RssResult result = RssHasher.Compute(packet[queue.HeaderBytes..], configuration);
        return new RxHash(result.HashValue, result.HashReport);
    }

    public void ServeWhileStalled(int budget)
    {
    }
}
