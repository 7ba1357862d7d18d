using System.Buffers.Binary;
using Tmds.Linux;

namespace MiniVmm.Native.Net;

/// <summary>
/// An AF_PACKET raw socket bound to one interface (packet(7)): sends whole Ethernet frames out of
/// the interface and receives every frame the interface sees. Created with protocol 0, so it
/// receives nothing until bind() names the interface and ETH_P_ALL, and no frame of another
/// interface slips in between.
/// </summary>
public sealed unsafe class PacketSocket : IDisposable
{
    public const ushort EthPAll = 0x0003;

    /// <summary>sll_pkttype of a frame this host sent (PACKET_OUTGOING).</summary>
    public const byte PacketOutgoing = 4;

    private PacketSocket(FileDescriptor handle, int ifIndex)
    {
        Handle = handle;
        IfIndex = ifIndex;
    }

    public FileDescriptor Handle { get; }

    public int IfIndex { get; }

    public static PacketSocket Open(int ifIndex)
    {
        var fd = FileDescriptor.FromResult(
            LibC.socket(LibC.AF_PACKET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC | LibC.SOCK_NONBLOCK, 0), "socket AF_PACKET");
        try
        {
            sockaddr_ll addr = default;
            addr.sll_family = (ushort)LibC.AF_PACKET;
            addr.sll_protocol = BinaryPrimitives.ReverseEndianness(EthPAll);
            addr.sll_ifindex = ifIndex;
            // Safe: addr is a local sockaddr_ll of the size passed.
            if (LibC.bind(fd.Fd, (sockaddr*)&addr, sizeof(sockaddr_ll)) < 0) throw SyscallException.FromErrno($"bind AF_PACKET ifindex {ifIndex}");
            return new PacketSocket(fd, ifIndex);
        }
        catch
        {
            fd.Dispose();
            throw;
        }
    }

    /// <summary>Sends one Ethernet frame out of the interface.</summary>
    public void Send(ReadOnlySpan<byte> frame)
    {
        fixed (byte* p = frame)
        {
            long r;
            // Safe: the kernel reads frame.Length bytes from the pinned span.
            do { r = LibC.send(Handle.Fd, p, frame.Length, 0); } while (r < 0 && LibC.errno == Errno.EINTR);
            if (r < 0) throw SyscallException.FromErrno("send AF_PACKET");
            if (r != frame.Length) throw new IOException($"AF_PACKET sent {r} of {frame.Length} bytes");
        }
    }

    /// <summary>
    /// Receives the next frame within <paramref name="timeout"/>: its length (0 on timeout) and its
    /// sll_pkttype. Frames longer than the span are truncated to it.
    /// </summary>
    public int Receive(Span<byte> frame, TimeSpan timeout, out byte packetType)
    {
        packetType = 0;
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            sockaddr_ll from = default;
            socklen_t fromLength = sizeof(sockaddr_ll);
            long r;
            fixed (byte* p = frame)
            {
                // Safe: the kernel writes at most frame.Length bytes and one sockaddr_ll into locals/pinned memory.
                r = LibC.recvfrom(Handle.Fd, p, frame.Length, 0, (sockaddr*)&from, &fromLength);
            }
            if (r >= 0)
            {
                packetType = from.sll_pkttype;
                return (int)r;
            }
            int errno = LibC.errno;
            if (errno == Errno.EINTR) continue;
            if (errno != Errno.EAGAIN) throw new SyscallException("recvfrom AF_PACKET", errno);
            int left = (int)Math.Max(0, deadline - Environment.TickCount64);
            if (left == 0) return 0;
            var pfd = new pollfd { fd = Handle.Fd, events = (short)LibC.POLLIN };
            // Safe: one local pollfd.
            Poll.Wait(&pfd, 1, left, "poll AF_PACKET");
        }
    }

    /// <summary>Like <see cref="Receive"/> but skips frames this host sent itself (PACKET_OUTGOING).</summary>
    public int ReceiveIncoming(Span<byte> frame, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        while (true)
        {
            int left = (int)Math.Max(0, deadline - Environment.TickCount64);
            int n = Receive(frame, TimeSpan.FromMilliseconds(left), out byte type);
            if (n == 0 || type != PacketOutgoing) return n;
        }
    }

    public void Dispose() => Handle.Dispose();
}
