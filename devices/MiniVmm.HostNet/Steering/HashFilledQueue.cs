using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// A TAP queue whose 20-byte vnet headers carry hash_value / hash_report written by the kernel (the
/// tun hashing ioctls, or our BPF program through the hash-storing kfunc) while <see cref="HashFilled"/>
/// is set; otherwise the queue's own header (20 bytes, hash unfilled: the device hashes in-process).
/// Read and Write pass straight through.
/// </summary>
public sealed class HashFilledQueue : INetBackendQueue
{
    private readonly INetBackendQueue _queue;
    private volatile bool _hashFilled;

    /// <param name="queue">A queue whose packets carry 20-byte headers (TUNSETVNETHDRSZ 20).</param>
    public HashFilledQueue(INetBackendQueue queue, bool hashFilled)
    {
        if (queue.Header.Bytes != VirtioNetHeader.HashBytes)
        {
            throw new ArgumentException($"a back end that fills the hash needs 20-byte vnet headers; this queue has {queue.Header.Bytes}", nameof(queue));
        }
        _queue = queue;
        _hashFilled = hashFilled;
    }

    /// <summary>Whether the kernel is currently asked to fill the hash fields (read by the device once per batch).</summary>
    public bool HashFilled
    {
        get => _hashFilled;
        set => _hashFilled = value;
    }

    public BackendHeader Header => _hashFilled ? BackendHeader.V1HashFilled : _queue.Header;

    public int Read(Span<byte> packetWithVnetHeader) => _queue.Read(packetWithVnetHeader);

    public bool Write(ReadOnlySpan<byte> packetWithVnetHeader) => _queue.Write(packetWithVnetHeader);
}
