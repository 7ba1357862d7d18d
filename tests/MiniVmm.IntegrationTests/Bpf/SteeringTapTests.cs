using MiniVmm.Bpf;
using MiniVmm.HostNet;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Rss;
using static MiniVmm.IntegrationTests.Bpf.SteeringCases;


using MiniVmm.Virtio.Net;

namespace MiniVmm.IntegrationTests.Bpf;

/// <summary>
/// The program attached to a real multiqueue TAP: every frame sent on the interface is read from
/// the queue fd its table entry names, computed from the published hash values. The TAP is the
/// product's (<see cref="Tap"/>: vnet headers on, so every read starts with a 12-byte header) and
/// frames go in through <see cref="PacketInjector"/> (AF_PACKET on the interface).
/// </summary>
public sealed class SteeringTapTests
{
    [HostTheory(HostNeeds.Bpf | HostNeeds.Tap)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(8)]
    public void Each_frame_is_read_from_the_queue_its_table_entry_names(int queues)
    {
        SteeringProgramFixture.BuildObjects();
        string name = $"mvbpf{Environment.ProcessId % 100000}q{queues}";
        using var program = RssSteeringProgram.Load(SteeringProgramFixture.PlainObject);
        var config = Spread(queues);
        program.Configure(config);

        var frames = new List<(uint Id, byte[] Frame, int Queue)>();
        uint id = 1;
        foreach (var v in ToeplitzVectors.All)
        {
            int withPorts = config.IndirectionTable[v.HashWithPorts & 127];
            int ipOnly = config.IndirectionTable[v.HashAddressesOnly & 127];
            frames.Add((id, Tcp(v).BuildWithId(id), withPorts)); id++;
            frames.Add((id, Udp(v).BuildWithId(id), withPorts)); id++;
            frames.Add((id, Ip(v, TestFrames.Icmp).Bytes(8, 0, 0, 0, 0, 0, 0, 0).BuildWithId(id), ipOnly)); id++;
            frames.Add((id, Tcp(v, (0x8100, 9)).BuildWithId(id), withPorts)); id++;
        }
        frames.Add((id, TestFrames.Ethernet(0x0806).Bytes(new byte[28]).BuildWithId(id), config.UnclassifiedQueue)); id++;

        using (var tap = Tap.Create(name, queues))
        {
            program.AttachTo(tap.Queues[0].Handle);
            try
            {
                using (var injector = PacketInjector.Open(tap.Name))
                {
                    foreach (var f in frames) injector.Send(f.Frame);
                }
                var seen = ReadAll(tap, frames.Count);

                foreach (var f in frames)
                {
                    Assert.True(seen.TryGetValue(f.Id, out var got), $"frame {f.Id} never arrived on any of {queues} queues");
                    Assert.True(got.Queue == f.Queue, $"frame {f.Id} arrived on queue {got.Queue}, its table entry names {f.Queue}");
                    Assert.Equal(f.Frame, got.Frame);
                }
                if (queues > 1) Assert.True(frames.Select(f => f.Queue).Distinct().Count() > 1, "the frames should cover several queues");
            }
            finally
            {
                RssSteeringProgram.DetachFrom(tap.Queues[0].Handle);
            }
        }
        MiniVmm.IntegrationTests.HostNet.TapTestKit.AssertRemoved(name);
    }

    private static Dictionary<uint, (int Queue, byte[] Frame)> ReadAll(Tap tap, int expected)
    {
        var seen = new Dictionary<uint, (int, byte[])>();
        var buffer = new byte[65536];
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (seen.Count < expected && DateTime.UtcNow < deadline)
        {
            bool any = false;
            for (int q = 0; q < tap.Queues.Count; q++)
            {
                BackendResult r;
                while ((r = tap.Queues[q].Read(buffer)).Status == BackendStatus.Done)
                {
                    int n = r.Bytes;
                    any = true;
                    Assert.True(n >= Tap.VnetHeaderBytes, $"queue {q} returned {n} bytes, less than the vnet header");
                    byte[] frame = buffer[Tap.VnetHeaderBytes..n];
                    if (TestFrames.IdOf(frame) is uint id)
                    {
                        Assert.False(seen.ContainsKey(id), $"frame {id} arrived twice");
                        seen[id] = (q, frame);
                    }
                }
            }
            if (!any) Thread.Sleep(5);
        }
        return seen;
    }
}
