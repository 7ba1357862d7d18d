using System.Text;
using MiniVmm.Native;
using Tmds.Linux;

namespace MiniVmm.IntegrationTests.Bpf;

/// <summary>
/// A minimal multiqueue TAP for the BPF host tests (IFF_TAP | IFF_NO_PI | IFF_MULTI_QUEUE through
/// /dev/net/tun), brought up with IPv6 off so the kernel sends nothing of its own on it, plus an
/// AF_PACKET socket to send frames out through it. Not persistent: closing the queue fds on
/// <see cref="Dispose"/> deletes the interface, whatever the test did. Test-only; the product
/// TAP class lives in MiniVmm.HostNet.
/// </summary>
public sealed unsafe class TestTap : IDisposable
{
    private static readonly uint TunSetIff = Ioctl.IOW('T', 202, sizeof(int));
    private const uint SiocGifFlags = 0x8913, SiocSifFlags = 0x8914, SiocGifIndex = 0x8933;
    private const short IffTap = 0x0002, IffNoPi = 0x1000, IffMultiQueue = 0x0100, IffUp = 0x1;
    private const int IfReqSize = 40, AfPacket = 17;

    private readonly List<FileDescriptor> _queues = [];
    private FileDescriptor? _packetSocket;

    private TestTap(string name) => Name = name;

    public string Name { get; }

    public IReadOnlyList<FileDescriptor> Queues => _queues;

    public int InterfaceIndex { get; private set; }

    public static TestTap Create(string name, int queues)
    {
        var tap = new TestTap(name);
        try
        {
            byte* ifreq = stackalloc byte[IfReqSize];
            for (int q = 0; q < queues; q++)
            {
                var fd = FileDescriptor.Open("/dev/net/tun", LibC.O_RDWR | LibC.O_NONBLOCK);
                tap._queues.Add(fd);
                tap.FillIfReq(ifreq);
                *(short*)(ifreq + 16) = IffTap | IffNoPi | IffMultiQueue;
                Ioctl.Invoke(fd, TunSetIff, "TUNSETIFF", ifreq);
            }
            string disable = $"/proc/sys/net/ipv6/conf/{name}/disable_ipv6";
            if (File.Exists(disable)) File.WriteAllText(disable, "1");
            tap.BringUp();
            return tap;
        }
        catch
        {
            tap.Dispose();
            throw;
        }
    }

    /// <summary>Sends one frame out through the interface (AF_PACKET), as the host stack would.</summary>
    public void Send(ReadOnlySpan<byte> frame)
    {
        // Safe: the span is pinned for the duration of the send call.
        fixed (byte* p = frame)
        {
            long n = LibC.send(_packetSocket!.Fd, p, (size_t)frame.Length, 0);
            if (n != frame.Length) throw SyscallException.FromErrno("send AF_PACKET");
        }
    }

    /// <summary>Reads one frame from queue <paramref name="queue"/>, or null when none is waiting.</summary>
    public byte[]? TryRead(int queue)
    {
        var buffer = new byte[65536];
        // Safe: buffer is pinned and read() writes at most its length.
        fixed (byte* p = buffer)
        {
            long n = LibC.read(_queues[queue].Fd, p, (size_t)buffer.Length);
            if (n < 0)
            {
                int errno = LibC.errno;
                return errno == Errno.EAGAIN ? null : throw new SyscallException("read tap queue", errno);
            }
            return buffer[..(int)n];
        }
    }

    private void FillIfReq(byte* ifreq)
    {
        new Span<byte>(ifreq, IfReqSize).Clear();
        Encoding.ASCII.GetBytes(Name).CopyTo(new Span<byte>(ifreq, 15));
    }

    private void BringUp()
    {
        using var inet = FileDescriptor.FromResult(LibC.socket(LibC.AF_INET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, 0), "socket AF_INET");
        byte* ifreq = stackalloc byte[IfReqSize];
        FillIfReq(ifreq);
        Ioctl.Invoke(inet, SiocGifFlags, "SIOCGIFFLAGS", ifreq);
        *(short*)(ifreq + 16) |= IffUp;
        Ioctl.Invoke(inet, SiocSifFlags, "SIOCSIFFLAGS", ifreq);
        FillIfReq(ifreq);
        Ioctl.Invoke(inet, SiocGifIndex, "SIOCGIFINDEX", ifreq);
        InterfaceIndex = *(int*)(ifreq + 16);

        // Protocol 0: this socket only sends, it never receives copies of traffic.
        _packetSocket = FileDescriptor.FromResult(LibC.socket(AfPacket, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, 0), "socket AF_PACKET");
        byte* sll = stackalloc byte[20];   // struct sockaddr_ll
        new Span<byte>(sll, 20).Clear();
        *(ushort*)sll = AfPacket;
        *(int*)(sll + 4) = InterfaceIndex;
        if (LibC.bind(_packetSocket.Fd, (sockaddr*)sll, 20) != 0) throw SyscallException.FromErrno("bind AF_PACKET");
    }

    public void Dispose()
    {
        _packetSocket?.Dispose();
        foreach (var q in _queues) q.Dispose();
        _queues.Clear();
    }
}
