using System.Buffers.Binary;
using MiniVmm.HostNet;
using MiniVmm.Native;
using MiniVmm.Native.Net;
using MiniVmm.Virtio.Net;
using Tmds.Linux;

namespace MiniVmm.IntegrationTests.HostNet;

/// <summary>Names, frames and polling shared by the TAP host tests.</summary>
internal static class TapTestKit
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    /// <summary>A name no parallel test uses: "mvt-" and 8 random hex digits (12 characters).</summary>
    public static string UniqueName() => "mvt-" + Convert.ToHexString(Guid.NewGuid().ToByteArray(), 0, 4).ToLowerInvariant();

    public static bool InterfaceExists(string name) => Directory.Exists($"/sys/class/net/{name}");

    /// <summary>
    /// Proves a TAP is gone without racing the kernel: first that this process holds no fd of it any
    /// more (tun's fdinfo names the interface: "iff:"), which is what MiniVmm controls; then that the
    /// interface disappears within a bounded time (a child another test is forking may hold copies of
    /// every fd until its exec closes them, O_CLOEXEC or not).
    /// </summary>
    public static void AssertRemoved(string name)
    {
        Assert.True(OpenTunFdsOf(name).Count == 0, $"this process still holds fds {string.Join(",", OpenTunFdsOf(name))} of {name}");
        Assert.True(RuntimeTestRig.WaitFor(() => !InterfaceExists(name), 10_000), $"{name} was left behind");
    }

    /// <summary>The fds of this process that are queues of the TAP <paramref name="name"/>.</summary>
    public static List<int> OpenTunFdsOf(string name)
    {
        var fds = new List<int>();
        foreach (string info in Directory.GetFiles("/proc/self/fdinfo"))
        {
            try
            {
                if (File.ReadAllLines(info).Any(l => l.StartsWith("iff:") && l[4..].Trim() == name)) fds.Add(int.Parse(Path.GetFileName(info)));
            }
            catch (IOException)
            {
                // The fd closed while we looked: not held.
            }
        }
        return fds;
    }

    /// <summary>How many TX queues the kernel reports for the interface (tun sets real_num_tx_queues to its attached queues).</summary>
    public static int KernelQueueCount(string name) =>
        Directory.GetDirectories($"/sys/class/net/{name}/queues", "tx-*").Length;

    /// <summary>
    /// An Ethernet/IPv4/UDP frame from 10.0.0.1 to 10.0.0.2 with the given source port, ending in
    /// "MVID" and a big-endian id (the probe's frame-id convention), so tests can tell their own
    /// frames from the host's IPv6 chatter.
    /// </summary>
    public static byte[] UdpFrame(uint id, ushort sourcePort = 1000, int payloadBytes = 32)
    {
        int ipLength = 20 + 8 + payloadBytes + 8;
        var f = new byte[14 + ipLength];
        byte[] dst = [0x02, 0, 0, 0, 0, 0x02], src = [0x02, 0, 0, 0, 0, 0x01];
        dst.CopyTo(f, 0);
        src.CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
        Span<byte> ip = f.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)ipLength);
        ip[8] = 64;
        ip[9] = 17;
        ip[12] = 10; ip[15] = 1;
        ip[16] = 10; ip[19] = 2;
        uint sum = 0;
        for (int i = 0; i < 20; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(ip[i..]);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~sum);
        Span<byte> udp = ip[20..];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(udp[2..], 2000);
        BinaryPrimitives.WriteUInt16BigEndian(udp[4..], (ushort)(8 + payloadBytes + 8));
        "MVID"u8.CopyTo(f.AsSpan(f.Length - 8));
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(f.Length - 4), id);
        return f;
    }

    /// <summary>The frame id of a test frame, or null for a frame without the "MVID" trailer.</summary>
    public static uint? FrameId(ReadOnlySpan<byte> frame) =>
        frame.Length >= 8 && frame[^8..^4].SequenceEqual("MVID"u8) ? BinaryPrimitives.ReadUInt32BigEndian(frame[^4..]) : null;

    /// <summary>
    /// Reads queue fds until a test frame with <paramref name="id"/> shows up; returns the queue
    /// index and the whole packet (vnet header + frame), or (-1, empty) after the timeout.
    /// </summary>
    public static (int Queue, byte[] Packet) ReadUntil(IReadOnlyList<TapQueue> queues, uint id, int headerBytes)
    {
        var buffer = new byte[65536];
        long deadline = Environment.TickCount64 + (long)Timeout.TotalMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            bool any = false;
            foreach (TapQueue q in queues)
            {
                BackendResult r = q.Read(buffer);
                if (r.Status != BackendStatus.Done) continue;
                int n = r.Bytes;
                any = true;
                if (n > headerBytes && FrameId(buffer.AsSpan(headerBytes, n - headerBytes)) == id) return (q.Index, buffer[..n]);
            }
            if (!any) Thread.Sleep(2);
        }
        return (-1, []);
    }

    /// <summary>Empties every queue (the host's IPv6 chatter after link-up).</summary>
    public static void Drain(IReadOnlyList<TapQueue> queues)
    {
        var buffer = new byte[65536];
        foreach (TapQueue q in queues) while (q.Read(buffer).Status == BackendStatus.Done) { }
    }

    /// <summary>Deletes an interface a test made persistent (TUNSETPERSIST 0 on a fresh fd), if it still exists.</summary>
    public static void DeletePersistent(string name)
    {
        if (!InterfaceExists(name)) return;
        using FileDescriptor fd = TunDevice.OpenQueue(name, Tap.RequiredFlags, out _);
        TunDevice.SetPersist(fd, false);
    }

    /// <summary>Opens a persistent multiqueue TAP outside the code under test.</summary>
    public static void CreatePersistent(string name, TunFlags flags)
    {
        using FileDescriptor fd = TunDevice.OpenQueue(name, flags, out _);
        TunDevice.SetPersist(fd, true);
    }

    /// <summary>An fd that is certainly not a TAP queue: /dev/null. The caller closes it.</summary>
    public static int OpenDevNull()
    {
        FileDescriptor fd = FileDescriptor.Open("/dev/null", LibC.O_RDWR);
        int number = fd.Fd;
        fd.SetHandleAsInvalid(); // the number is the caller's to close now
        return number;
    }
}
