using System.Buffers.Binary;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Testing.Uml;
using MiniVmm.Testing.VhostUser;
using MiniVmm.VhostUser;

namespace MiniVmm.IntegrationTests.Uml;

/// <summary>
/// The session live against the real Linux 6.1 virtio_net driver (UML's virtio_uml front end),
/// with a minimal device behind it: the driver activates every ring, its control commands are
/// answered, frames put into receive queue k with a reported hash reach the guest's stack on
/// queue k with that hash (seen by the frame observer), and rmmod + insmod is a reset and a new
/// activation. No network interface is involved: frames go from the device straight into guest memory.
/// </summary>
[Collection(EndToEnd.EndToEndCollection.Name)]
public sealed class UmlVhostUserSmokeTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);
    private const ushort HashReportUdpv4 = 3; // VIRTIO_NET_HASH_REPORT_UDPv4

    [HostFact(HostNeeds.Bpf | HostNeeds.Uml)]
    public void RealDriver_OverTheSession_GetsFramesOnTheirQueueWithTheirHash_AndReprobeResets()
    {
        const int Pairs = 4, Frames = 8;
        string socket = Path.Combine(Path.GetTempPath(), $"mvt-{Guid.NewGuid():N}.sock");
        var device = new MinimalVhostUserNetDevice(Pairs);
        var log = new List<string>();
        string module = "/usr/lib/uml/modules/$(uname -r)/kernel/drivers/net/virtio_net.ko";
        string script = $"""
            ip link set eth0 up
            ethtool -K eth0 gro off
            ethtool -L eth0 combined {Pairs}
            ethtool -K eth0 rxhash on
            {UmlPaths.FrameObserver} observe eth0 --frames {Frames} --timeout 30000 --idle 5000
            rmmod virtio_net && insmod {module} && echo reprobed
            """;
        using (var listener = VhostUserListener.Start(socket, device, line => { lock (log) log.Add(line); }))
        using (var guest = UmlGuest.Start(new UmlGuestOptions { Script = script, KernelArguments = [$"virtio_uml.device={socket}:1"] }))
        {
            guest.WaitForLine("^obs ready if=eth0$", Timeout);
            for (int i = 0; i < Frames; i++)
            {
                int pair = i % Pairs;
                long deadline = Environment.TickCount64 + 5000;
                while (!device.TryInject(pair, Frame(i), 0x5eed0000u + (uint)i, HashReportUdpv4))
                {
                    Assert.True(Environment.TickCount64 < deadline, $"receive queue {pair} has no buffer posted");
                    Thread.Yield();
                }
            }
            Assert.Equal(0, guest.WaitForExit(Timeout));
            Assert.Contains("reprobed", guest.Lines);

            // Each frame once; across queues in NAPI's order (queue by queue), not in the order put in.
            List<ObservedFrame> ours = [.. guest.ObservedFrames().Where(f => f.Id >= 0)];
            Assert.Equal(Enumerable.Range(0, Frames).Select(i => (long)i), ours.Select(f => f.Id).Order());
            Assert.All(ours, f =>
            {
                Assert.Equal((int)(f.Id % Pairs), f.Queue);
                Assert.Equal(0x5eed0000u + (uint)f.Id, f.Hash);
                Assert.False(f.LengthMismatch);
            });
        }
        Assert.False(File.Exists(socket));
        var calls = device.Calls.Where(c => c.StartsWith("Activate") || c == "Reset").ToList();
        // Boot + insmod, then rmmod (all rings disabled), insmod, and the power-off's disabling.
        Assert.Equal(["Activate 0x1200000100438020", "Reset", "Activate 0x1200000100438020", "Reset"], calls);
        Assert.Equal(2 * (2 * Pairs + 1), device.Calls.Count(c => c.StartsWith("StartRing")));
        // VQ_PAIRS_SET 1 at probe, 4 from ethtool -L, then RSS_CONFIG from rxhash on; VQ_PAIRS_SET 1 again after insmod.
        Assert.Equal(["04000100", "04000400"], device.ControlCommands.Take(2));
        Assert.StartsWith("0401", device.ControlCommands[2]);
    }

    // Broadcast Ethernet / IPv4 10.99.0.1 -> 10.99.0.2 / UDP 1000 -> 2000, ending in "MVID" + id.
    private static byte[] Frame(int id)
    {
        var f = new byte[14 + 20 + 8 + 16 + 8];
        f.AsSpan(0, 6).Fill(0xff);
        byte[] src = [0x02, 0, 0, 0, 0, 0x01];
        src.CopyTo(f, 6);
        BinaryPrimitives.WriteUInt16BigEndian(f.AsSpan(12), 0x0800);
        Span<byte> ip = f.AsSpan(14);
        ip[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(ip[2..], (ushort)(f.Length - 14));
        ip[8] = 64;
        ip[9] = 17;
        ip[12] = 10; ip[13] = 99; ip[15] = 1;
        ip[16] = 10; ip[17] = 99; ip[19] = 2;
        uint sum = 0;
        for (int i = 0; i < 20; i += 2) sum += BinaryPrimitives.ReadUInt16BigEndian(ip[i..]);
        while (sum > 0xffff) sum = (sum & 0xffff) + (sum >> 16);
        BinaryPrimitives.WriteUInt16BigEndian(ip[10..], (ushort)~sum);
        BinaryPrimitives.WriteUInt16BigEndian(ip[20..], 1000);
        BinaryPrimitives.WriteUInt16BigEndian(ip[22..], 2000);
        BinaryPrimitives.WriteUInt16BigEndian(ip[24..], (ushort)(8 + 16 + 8));
        "MVID"u8.CopyTo(f.AsSpan(f.Length - 8));
        BinaryPrimitives.WriteUInt32BigEndian(f.AsSpan(f.Length - 4), (uint)id);
        return f;
    }
}
