using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Rss;
using static MiniVmm.IntegrationTests.Bpf.SteeringCases;


namespace MiniVmm.IntegrationTests.Bpf;

/// <summary>
/// Hostile input: random and truncated frames never make the program fail, and it always returns
/// a queue the configuration names (the unclassified queue when it did not hash; the table entry
/// of its hash when it did).
/// </summary>
public sealed class SteeringProgramRobustnessTests(SteeringProgramFixture programs) : IClassFixture<SteeringProgramFixture>
{
    private const int Queues = 4;

    private void AssertConsistent(RssConfiguration config, RssResult result, byte[] frame)
    {
        string hex = Convert.ToHexString(frame);
        if (result.HashReport == VirtioNetHashReport.None)
        {
            Assert.True(result.HashValue == 0 && result.Queue == config.UnclassifiedQueue, $"unhashed frame {hex} gave {result}");
        }
        else
        {
            Assert.True(result.HashReport <= VirtioNetHashReport.UdpV6Ex, $"frame {hex} gave {result}");
            Assert.True(result.Queue == config.IndirectionTable[(int)(result.HashValue & 127)], $"frame {hex} gave {result}");
        }
        Assert.InRange(result.Queue, 0, Queues - 1);
    }

    [HostFact(HostNeeds.Bpf)]
    public void Random_frames_are_safe()
    {
        var config = Spread(Queues);
        programs.Plain.Configure(config);
        var random = new Random(20261125);
        ushort[] etherTypes = [0x0800, 0x86DD, 0x8100, 0x88A8, 0x0806];
        for (int i = 0; i < 3000; i++)
        {
            var frame = new byte[random.Next(0, 300)];
            random.NextBytes(frame);
            if (frame.Length >= 14 && i % 3 != 0)
            {
                ushort type = etherTypes[random.Next(etherTypes.Length)];
                frame[12] = (byte)(type >> 8);
                frame[13] = (byte)type;
                if (frame.Length > 14) frame[14] = (byte)(type == 0x86DD ? 0x60 | (frame[14] & 0xf) : 0x40 | (frame[14] & 0xf));
            }
            AssertConsistent(config, programs.Plain.TestRun(frame), frame);
        }
    }

    [HostFact(HostNeeds.Bpf)]
    public void Every_truncation_of_real_frames_is_safe()
    {
        var config = Spread(Queues);
        programs.Plain.Configure(config);
        var v6 = ToeplitzVectors.Get("msft-ipv6-2");
        var v4 = ToeplitzVectors.Get("msft-ipv4-2");
        byte[][] frames =
        [
            Tcp(v4, (0x88A8, 1), (0x8100, 2)).Build(),
            TestFrames.Ethernet(0x0800).IPv4(v4.SourceAddress, v4.DestinationAddress, TestFrames.Udp, optionWords: 3).UdpHeader(1, 2).Build(),
            TestFrames.Ethernet(0x86DD).IPv6(v6.SourceAddress, v6.DestinationAddress, 0).HopByHop(43)
                .RoutingType2(44, v6.DestinationAddress).Fragment(60, 0, false)
                .DestinationOptionsWithHomeAddress(TestFrames.Tcp, v6.SourceAddress).TcpHeader(1, 2).Build(),
        ];
        foreach (byte[] full in frames)
        {
            for (int length = 0; length <= full.Length; length++)
            {
                byte[] frame = full[..length];
                AssertConsistent(config, programs.Plain.TestRun(frame), frame);
            }
        }
    }

    [HostFact(HostNeeds.Bpf)]
    public void Extension_header_lengths_pointing_past_the_frame_are_safe()
    {
        var config = Spread(Queues);
        programs.Plain.Configure(config);
        var v6 = ToeplitzVectors.Get("msft-ipv6-3");
        byte[] frame = TestFrames.Ethernet(0x86DD).IPv6(v6.SourceAddress, v6.DestinationAddress, 60)
            .DestinationOptionsWithHomeAddress(TestFrames.Tcp, v6.SourceAddress).TcpHeader(1, 2).Build();
        for (int len = 0; len < 256; len++)
        {
            frame[14 + 40 + 1] = (byte)len;               // hdr ext len of the destination options
            frame[14 + 40 + 2 + 2 + 1] = (byte)len;       // the HAO's option length
            AssertConsistent(config, programs.Plain.TestRun(frame), frame);
        }
    }
}
