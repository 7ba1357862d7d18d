using MiniVmm.Native;
using MiniVmm.Native.Net;
using MiniVmm.Virtio.Net;
using Tmds.Linux;

namespace MiniVmm.HostNet;

/// <summary>
/// One queue of a multiqueue TAP: a non-blocking fd that reads and writes one packet per call,
/// each packet being the vnet header followed by the Ethernet frame. The device's per-pair
/// back-end port. Single-threaded by design: only its queue-pair worker calls Read and Write.
/// </summary>
public sealed unsafe class TapQueue : INetBackendQueue, IDisposable
{
    private const int EBADFD = 77, EMSGSIZE = 90;

    internal TapQueue(int index, FileDescriptor handle)
    {
        Index = index;
        Handle = handle;
    }

    /// <summary>The queue (pair) index, 0-based.</summary>
    public int Index { get; }

    /// <summary>The fd, for epoll and for TUNSETSTEERINGEBPF. Owned by the <see cref="Tap"/>.</summary>
    public FileDescriptor Handle { get; }

    /// <summary>
    /// The header in front of every packet read or written: the device's TUNSETVNETHDRSZ (12 or 20),
    /// kept current by <see cref="Tap.SetVnetHeaderSize"/>. Hash fields are never "filled" here: only
    /// a back end that configured the kernel to fill them says so (<see cref="Steering.HashFilledQueue"/>).
    /// </summary>
    public BackendHeader Header => BackendHeader.ForSize(Volatile.Read(ref _vnetHeaderBytes));

    private int _vnetHeaderBytes = Tap.VnetHeaderBytes;

    internal void SetVnetHeaderBytes(int bytes) => Volatile.Write(ref _vnetHeaderBytes, bytes);

    /// <summary>Whether the queue is attached (TUNSETQUEUE); a detached queue receives nothing.</summary>
    public bool Attached { get; internal set; } = true;

    /// <summary>Packets the kernel refused on write (a malformed vnet header from the guest, an oversized frame).</summary>
    public long DroppedWrites { get; private set; }

    /// <summary>Packets the kernel accepted on this queue (written by the queue's worker only).</summary>
    public long WrittenPackets { get; private set; }

    /// <summary>Reads one packet (vnet header + frame) into <paramref name="packet"/>; 0 when none is waiting.</summary>
    public int Read(Span<byte> packet)
    {
        long r;
        int errno;
        fixed (byte* p = packet) r = Transfer(p, packet.Length, write: false, out errno);
        if (r >= 0) return (int)r;
        // EBADFD: the queue is detached or the device is going away; nothing to read either way.
        return errno is Errno.EAGAIN or EBADFD ? 0 : throw new SyscallException($"read tap queue {Index}", errno);
    }

    /// <summary>
    /// Writes one packet (vnet header + frame). False when the kernel's queue is full (EAGAIN):
    /// retry once the fd is writable. A packet the kernel rejects as malformed counts as dropped.
    /// </summary>
    public bool Write(ReadOnlySpan<byte> packet)
    {
        long r;
        int errno;
        fixed (byte* p = packet) r = Transfer(p, packet.Length, write: true, out errno);
        if (r >= 0)
        {
            WrittenPackets++;
            return true;
        }
        if (errno == Errno.EAGAIN) return false;
        // Guest-controlled content (bad GSO fields, too long) must never take the VMM down: drop it.
        if (errno is Errno.EINVAL or EMSGSIZE or Errno.EFAULT or Errno.ENOBUFS or Errno.EIO or EBADFD)
        {
            DroppedWrites++;
            return true;
        }
        throw new SyscallException($"write tap queue {Index}", errno);
    }

    public void Dispose() => Handle.Dispose();

    private long Transfer(byte* p, int length, bool write, out int errno)
    {
        errno = 0;
        bool added = false;
        try
        {
            // The reference keeps the fd number ours even if Tap.Dispose runs on another thread.
            Handle.DangerousAddRef(ref added);
            long r;
            // Safe: p points at a pinned span of exactly length bytes, which the kernel reads or fills.
            do { r = write ? LibC.write(Handle.Fd, p, length) : LibC.read(Handle.Fd, p, length); }
            while (r < 0 && (errno = LibC.errno) == Errno.EINTR);
            return r;
        }
        catch (ObjectDisposedException)
        {
            errno = EBADFD;
            return -1;
        }
        finally
        {
            if (added) Handle.DangerousRelease();
        }
    }
}
