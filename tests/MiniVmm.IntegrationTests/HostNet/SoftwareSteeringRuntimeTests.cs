using System.Diagnostics;
using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Memory;
using MiniVmm.Rss;
using MiniVmm.Rss.Packets;
using MiniVmm.Virtio.Net;

namespace MiniVmm.IntegrationTests.HostNet;

/// <summary>
/// Software steering with the device's real workers on a real TAP: a pair whose guest posts no
/// buffers does not take the other pairs' flows down with it, and a frame at the largest MTU a TAP
/// allows goes through the re-steering path whole.
/// </summary>
public sealed class SoftwareSteeringRuntimeTests
{
    private const int Pairs = 2;

    private static (RuntimeTestRig Rig, SoftwareSteeringBackend Software, string Tap) Started(ulong features)
    {
        string name = TapTestKit.UniqueName();
        Tap tap = Tap.Create(name, Pairs);
        var software = new SoftwareSteeringBackend(tap);
        var backend = new TapNetBackend(tap, software, new SteeringChoice(SteeringBackendKind.Software, "software (test)"));
        var rig = new RuntimeTestRig(backend, new VirtioNetOptions { QueuePairs = Pairs }, memoryBytes: 16 << 20);
        rig.Start(features);
        return (rig, software, name);
    }

    private static RssConfiguration Spread() => RssConfiguration.Spread(Pairs);

    private static byte SendRss(RuntimeTestRig rig, RssConfiguration config) =>
        rig.SendControl(VirtioNetCommands.RssConfig((uint)config.HashTypes, config.IndirectionTable, 0, Pairs, config.Key));

    /// <summary>Frames (id trailer) the guest received on pair <paramref name="pair"/>, from buffers of <paramref name="bufferBytes"/>.</summary>
    private static List<byte[]> Received(RuntimeTestRig rig, int pair, Dictionary<uint, GuestAddress> buffers, int headerBytes)
    {
        var frames = new List<byte[]>();
        while (rig.Rx(pair).TryTakeUsed(out uint id, out uint length))
        {
            frames.Add(rig.Memory.GetSpan(buffers[id] + (ulong)headerBytes, length - (uint)headerBytes).ToArray());
        }
        return frames;
    }

    [HostFact(HostNeeds.Tap)]
    public void A_pair_without_guest_buffers_does_not_blackhole_the_flows_rss_puts_on_other_pairs()
    {
        (RuntimeTestRig rig, SoftwareSteeringBackend software, string tap) = Started(NetTestRig.BaseFeatures(VirtioNetFeature.Rss));
        using (rig)
        {
            RssConfiguration config = Spread();
            Assert.Equal(0, SendRss(rig, config));
            // Only pair 1 posts receive buffers; pair 0's guest has none (its worker stalls).
            var buffers = new Dictionary<uint, GuestAddress>();
            for (int i = 0; i < 64; i++)
            {
                GuestAddress at = rig.Driver.Allocate(2048);
                buffers[rig.Rx(1).AddChain((at, 2048, true))] = at;
            }
            rig.Driver.Notify(2);

            // 48 UDP flows: the kernel spreads them over both TAP queues by its own hash, so some that
            // RSS puts on pair 1 arrive on TAP queue 0, whose worker's guest has no buffers.
            var forPair1 = new HashSet<uint>();
            using PacketInjector injector = PacketInjector.Open(tap);
            for (uint id = 1; id <= 48; id++)
            {
                byte[] frame = new FrameBuilder().IPv4("10.1.0.1", "10.1.0.2").Udp((ushort)(1000 + id), 2000).WithId(id).Build();
                if (RssHasher.Compute(frame, config).Queue == 1) forPair1.Add(id);
                injector.Send(frame);
            }
            var got = new HashSet<uint>();
            Assert.True(RuntimeTestRig.WaitFor(() =>
            {
                foreach (byte[] f in Received(rig, 1, buffers, VirtioNetHeader.Bytes))
                {
                    if (FrameBuilder.ReadId(f) is uint id) got.Add(id);
                }
                return forPair1.IsSubsetOf(got);
            }), $"pair 1 got {got.Count} of its {forPair1.Count} flows");
            Assert.True(got.IsSubsetOf(forPair1), "a frame RSS puts on pair 0 reached pair 1");
            Assert.True(software.HandedOverTo(1) > 0, "no frame for pair 1 came through TAP queue 0: the case was not exercised");
            Assert.False(rig.NeedsReset);
        }
        TapTestKit.AssertRemoved(tap);
    }

    [HostFact(HostNeeds.Tap)]
    public void A_frame_at_the_largest_tap_mtu_is_re_steered_and_delivered_whole()
    {
        (RuntimeTestRig rig, SoftwareSteeringBackend software, string tap) =
            Started(NetTestRig.BaseFeatures(VirtioNetFeature.Rss, VirtioNetFeature.HashReport, VirtioNetFeature.MrgRxbuf));
        using (rig)
        {
            // 65521 is the largest MTU tun allows (MAX_MTU: 65535 bytes of frame).
            using (Process ip = Process.Start("ip", $"link set dev {tap} mtu 65521")) ip.WaitForExit();
            RssConfiguration config = Spread();
            Assert.Equal(0, SendRss(rig, config));
            var buffers = new Dictionary<uint, GuestAddress>[Pairs];
            for (int k = 0; k < Pairs; k++)
            {
                buffers[k] = [];
                for (int i = 0; i < 48; i++)
                {
                    GuestAddress at = rig.Driver.Allocate(2048);
                    buffers[k][rig.Rx(k).AddChain((at, 2048, true))] = at;
                }
                rig.Driver.Notify(2 * k);
            }
            // The largest frame that MTU takes: a 65521-byte IPv4 datagram, 65535 bytes with its Ethernet header.
            byte[] frame = new FrameBuilder().IPv4("10.1.0.1", "10.1.0.2").Udp(4321, 2000).WithPayloadLength(65521 - 20 - 8).Build();
            Assert.Equal(65535, frame.Length);
            int queue = RssHasher.Compute(frame, config).Queue;
            using PacketInjector injector = PacketInjector.Open(tap);
            injector.Send(frame);

            // With MRG_RXBUF a packet spans chains: num_buffers in its first header says how many. The
            // host's own IPv6 chatter may arrive too: find ours among the packets.
            int header = VirtioNetHeader.HashBytes;
            byte[]? ours = null;
            Assert.True(RuntimeTestRig.WaitFor(() =>
            {
                while (ours is null && rig.Rx(queue).TryTakeUsed(out uint id, out uint length))
                {
                    var packet = new List<byte>(rig.Memory.GetSpan(buffers[queue][id], length).ToArray());
                    int chains = packet[10] | packet[11] << 8;
                    for (int c = 1; c < chains; c++)
                    {
                        Assert.True(RuntimeTestRig.WaitFor(() => rig.Rx(queue).TryTakeUsed(out id, out length)), "a merged packet's chain is missing");
                        packet.AddRange(rig.Memory.GetSpan(buffers[queue][id], length).ToArray());
                    }
                    if (packet.Count == header + frame.Length) ours = [.. packet];
                }
                return ours is not null;
            }), "the frame did not arrive");
            Assert.Equal(frame, ours![header..]);
            Assert.Equal(0UL, rig.Device.Pairs[queue].Counters.RxDropped);
            Assert.False(rig.NeedsReset);
        }
        TapTestKit.AssertRemoved(tap);
    }
}
