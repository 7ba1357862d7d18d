using MiniVmm.Native;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet;

/// <summary>
/// One queue of a multiqueue TAP: a non-blocking fd that reads and writes one packet per call,
/// each packet being the vnet header (<see cref="HeaderBytes"/>) followed by the Ethernet frame.
/// Errors become results, never exceptions: the data path decides what they mean. Single-threaded
/// by design: only its queue pair's worker reads and writes.
/// </summary>
public sealed class TapQueue : IDisposable
{
    private int _vnetHeaderBytes = Tap.VnetHeaderBytes;

    /// <param name="handle">A TAP queue fd (any fd that reads and writes one packet per call will do in tests).</param>
    /// <param name="vnetHeaderBytes">The TUNSETVNETHDRSZ in force: 12 or 20.</param>
    public TapQueue(int index, FileDescriptor handle, int vnetHeaderBytes = Tap.VnetHeaderBytes)
    {
        if (vnetHeaderBytes is not (Tap.VnetHeaderBytes or Tap.VnetHashHeaderBytes))
        {
            throw new ArgumentOutOfRangeException(nameof(vnetHeaderBytes), vnetHeaderBytes, "vnet header size must be 12 or 20");
        }
        Index = index;
        Handle = handle;
        _vnetHeaderBytes = vnetHeaderBytes;
    }

    /// <summary>The queue (pair) index, 0-based.</summary>
    public int Index { get; }

    /// <summary>The fd, for epoll and for TUNSETSTEERINGEBPF. Owned by the <see cref="Tap"/>.</summary>
    public FileDescriptor Handle { get; }

    /// <summary>The device's TUNSETVNETHDRSZ (12 or 20), kept current by <see cref="Tap.SetVnetHeaderSize"/>.</summary>
    public int HeaderBytes => Volatile.Read(ref _vnetHeaderBytes);

    internal void SetVnetHeaderBytes(int bytes) => Volatile.Write(ref _vnetHeaderBytes, bytes);

    /// <summary>Whether the queue is attached (TUNSETQUEUE); a detached queue receives nothing.</summary>
    public bool Attached { get; internal set; } = true;

    /// <summary>
    /// Reads one packet. tun returns a packet's full length even when it did not fit the buffer, so a
    /// longer result is a truncated packet: dropped. EINVAL is tun refusing one skb (a GSO type it
    /// cannot express): dropped too. EAGAIN, and EBADFD for a queue that is detached or going away,
    /// mean nothing to read. Anything else is an error of the queue itself.
    /// </summary>
    public BackendResult Read(Span<byte> packet)
    {
        long r = FdIo.Read(Handle, packet, out int errno);
        if (r >= 0)
        {
            return r <= packet.Length ? BackendResult.Packet((int)r) : BackendResult.Dropped(Errno.EMSGSIZE);
        }
        return errno switch
        {
            Errno.EAGAIN or Errno.EBADFD or Errno.EBADF => BackendResult.WouldBlock,
            Errno.EINVAL or Errno.EMSGSIZE => BackendResult.Dropped(errno),
            _ => BackendResult.Failed(errno),
        };
    }

    /// <summary>
    /// Writes one packet. EAGAIN: no room now, write it again when the fd is writable. A packet the
    /// kernel refuses (guest-controlled content such as bad GSO fields, ENOMEM, EIO while the
    /// interface goes away) is dropped: it must never take the VMM down.
    /// </summary>
    public BackendResult Write(ReadOnlySpan<byte> packet)
    {
        long r = FdIo.Write(Handle, packet, out int errno);
        if (r >= 0) return BackendResult.Written;
        return errno == Errno.EAGAIN ? BackendResult.WouldBlock : BackendResult.Dropped(errno);
    }

    public void Dispose() => Handle.Dispose();
}
