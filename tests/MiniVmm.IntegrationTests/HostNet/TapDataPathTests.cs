using System.Buffers.Binary;
using MiniVmm.HostNet;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Native;
using MiniVmm.Native.Net;

using MiniVmm.Virtio.Net;

namespace MiniVmm.IntegrationTests.HostNet;

/// <summary>Frames between the host (AF_PACKET on the interface) and the TAP's queue fds.</summary>
public sealed class TapDataPathTests
{
    [HostFact(HostNeeds.Tap)]
    public void FrameSentOnTheInterface_IsReadFromAQueueFd_BehindAZeroedVnetHeader()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 4);
        using PacketInjector injector = PacketInjector.Open(tap.Name);
        byte[] frame = TapTestKit.UdpFrame(id: 7);
        injector.Send(frame);

        (int queue, byte[] packet) = TapTestKit.ReadUntil(tap.Queues, 7, Tap.VnetHeaderBytes);

        Assert.InRange(queue, 0, 3);
        Assert.Equal(Tap.VnetHeaderBytes + frame.Length, packet.Length);
        // virtio 1.2 §5.1.6: flags 0 and gso_type VIRTIO_NET_HDR_GSO_NONE for a plain frame; num_buffers is 0 or 1 by kernel version.
        Assert.Equal(0, packet[0]);
        Assert.Equal(0, packet[1]);
        Assert.Equal(frame, packet[Tap.VnetHeaderBytes..]);
    }

    [HostFact(HostNeeds.Tap)]
    public void WithHashHeaderSize_TheVnetHeaderIs20Bytes()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 2);
        tap.SetVnetHeaderSize(Tap.VnetHashHeaderBytes);
        Assert.Equal(20, TunDevice.GetVnetHeaderSize(tap.Queues[1].Handle));
        using PacketInjector injector = PacketInjector.Open(tap.Name);
        byte[] frame = TapTestKit.UdpFrame(id: 8);
        injector.Send(frame);

        (_, byte[] packet) = TapTestKit.ReadUntil(tap.Queues, 8, Tap.VnetHashHeaderBytes);

        Assert.Equal(20 + frame.Length, packet.Length);
        Assert.Equal(frame, packet[20..]);
    }

    [HostFact(HostNeeds.Tap)]
    public void FrameWrittenToAQueueFd_AppearsOnTheInterface()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 4);
        using PacketInjector injector = PacketInjector.Open(tap.Name);
        for (int q = 0; q < 4; q++)
        {
            byte[] frame = TapTestKit.UdpFrame(id: (uint)(100 + q));
            var packet = new byte[Tap.VnetHeaderBytes + frame.Length];
            frame.CopyTo(packet, Tap.VnetHeaderBytes);
            Assert.Equal(BackendResult.Written, tap.Queues[q].Write(packet));

            Assert.Equal(frame, CaptureId(injector, (uint)(100 + q)));
        }
    }

    [HostFact(HostNeeds.Tap)]
    public void MalformedVnetHeaderFromTheGuest_IsDroppedNotThrown()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 1);
        byte[] frame = TapTestKit.UdpFrame(id: 9);
        var packet = new byte[Tap.VnetHeaderBytes + frame.Length];
        frame.CopyTo(packet, Tap.VnetHeaderBytes);
        packet[0] = 1;                                                  // VIRTIO_NET_HDR_F_NEEDS_CSUM
        BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(6), 60000); // csum_start far beyond the frame
        BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(8), 6);

        Assert.Equal(BackendResult.Dropped(Errno.EINVAL), tap.Queues[0].Write(packet));
        Assert.Equal(BackendResult.Dropped(Errno.EINVAL), tap.Queues[0].Write(packet.AsSpan(0, 4))); // shorter than the vnet header
    }

    [HostFact(HostNeeds.Tap)]
    public void SetActiveQueues_DetachesAndReattaches_AndOnlyAttachedQueuesReceive()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 4);
        using PacketInjector injector = PacketInjector.Open(tap.Name);

        tap.SetActiveQueues(2);
        Assert.Equal(2, tap.ActiveQueues);
        Assert.Equal(2, TapTestKit.KernelQueueCount(tap.Name));
        Assert.Equal([true, true, false, false], tap.Queues.Select(q => q.Attached));

        // Many flows (source ports): with two queues attached, every frame lands on queue 0 or 1.
        var seen = new HashSet<int>();
        for (uint id = 0; id < 32; id++)
        {
            injector.Send(TapTestKit.UdpFrame(id, sourcePort: (ushort)(1000 + id * 7)));
            (int queue, _) = TapTestKit.ReadUntil(tap.Queues, id, Tap.VnetHeaderBytes);
            Assert.InRange(queue, 0, 1);
            seen.Add(queue);
        }

        tap.SetActiveQueues(4);
        Assert.Equal(4, TapTestKit.KernelQueueCount(tap.Name));
        Assert.All(tap.Queues, q => Assert.True(q.Attached));
        tap.SetActiveQueues(1);
        Assert.Equal(1, TapTestKit.KernelQueueCount(tap.Name));
        Assert.Equal([true, false, false, false], tap.Queues.Select(q => q.Attached));
        Assert.Throws<ArgumentOutOfRangeException>(() => tap.SetActiveQueues(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => tap.SetActiveQueues(5));
        Assert.Equal(1, tap.ActiveQueues);
    }

    [HostFact(HostNeeds.Tap)]
    public void SetOffloads_IsAcceptedForTheGuestOffloads()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 2);
        tap.SetOffloads(TunOffloads.Csum | TunOffloads.Tso4 | TunOffloads.Tso6 | TunOffloads.TsoEcn);
        tap.SetOffloads(TunOffloads.None);
        var e = Assert.Throws<SyscallException>(() => tap.SetOffloads((TunOffloads)0x8000_0000));
        Assert.Equal(Errno.EINVAL, e.Errno);
    }

    internal static byte[] CaptureId(PacketInjector injector, uint id)
    {
        var buffer = new byte[65536];
        long deadline = Environment.TickCount64 + (long)TapTestKit.Timeout.TotalMilliseconds;
        while (Environment.TickCount64 < deadline)
        {
            int n = injector.Capture(buffer, TimeSpan.FromMilliseconds(200));
            if (n > 0 && TapTestKit.FrameId(buffer.AsSpan(0, n)) == id) return buffer[..n];
        }
        return [];
    }
}
