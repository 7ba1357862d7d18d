using MiniVmm.Bpf;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Rss;
using static MiniVmm.IntegrationTests.Bpf.SteeringCases;


namespace MiniVmm.IntegrationTests.Bpf;

/// <summary>
/// The 16 published Toeplitz values (shared/vectors/toeplitz_msft.json) through the real program
/// with BPF_PROG_TEST_RUN, for both the plain object and the kfunc variant (whose kfunc call the
/// verifier removes on this kernel, so it must behave exactly like the plain one).
/// </summary>
public sealed class SteeringProgramVectorTests(SteeringProgramFixture programs) : IClassFixture<SteeringProgramFixture>
{
    public static TheoryData<string, bool> Cases()
    {
        var data = new TheoryData<string, bool>();
        foreach (var v in ToeplitzVectors.All)
        {
            data.Add(v.Id, false);
            data.Add(v.Id, true);
        }
        return data;
    }

    private RssSteeringProgram Program(bool kfuncVariant) => kfuncVariant ? programs.WithKfuncs : programs.Plain;

    [HostTheory(HostNeeds.Bpf)]
    [MemberData(nameof(Cases))]
    public void Tcp_and_udp_frames_hash_to_the_published_value_with_ports(string id, bool kfuncVariant)
    {
        var v = ToeplitzVectors.Get(id);
        var program = Program(kfuncVariant);
        program.Configure(Identity(VirtioNetHashTypes.All));

        var tcp = program.TestRun(Tcp(v).Build());
        var udp = program.TestRun(Udp(v).Build());

        Assert.Equal(new RssResult(v.HashWithPorts, IsV6(v) ? VirtioNetHashReport.TcpV6 : VirtioNetHashReport.TcpV4, (ushort)(v.HashWithPorts & 127)), tcp);
        Assert.Equal(new RssResult(v.HashWithPorts, IsV6(v) ? VirtioNetHashReport.UdpV6 : VirtioNetHashReport.UdpV4, (ushort)(v.HashWithPorts & 127)), udp);
    }

    [HostTheory(HostNeeds.Bpf)]
    [MemberData(nameof(Cases))]
    public void With_only_ip_types_enabled_a_tcp_frame_hashes_to_the_published_ip_only_value(string id, bool kfuncVariant)
    {
        var v = ToeplitzVectors.Get(id);
        var program = Program(kfuncVariant);
        program.Configure(Identity(VirtioNetHashTypes.IPv4 | VirtioNetHashTypes.IPv6));

        var result = program.TestRun(Tcp(v).Build());

        Assert.Equal(new RssResult(v.HashAddressesOnly, IsV6(v) ? VirtioNetHashReport.IPv6 : VirtioNetHashReport.IPv4, (ushort)(v.HashAddressesOnly & 127)), result);
    }

    [HostTheory(HostNeeds.Bpf)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(8)]
    [InlineData(64)]
    public void The_queue_is_the_table_entry_the_hash_masked_by_the_table_length_selects(int tableLength)
    {
        var v = ToeplitzVectors.Get("msft-ipv4-3");
        var config = Spread(4, tableLength: tableLength);
        programs.Plain.Configure(config);

        var result = programs.Plain.TestRun(Tcp(v).Build());

        // virtio 1.2 §5.1.6.5.7.1: queue = indirection_table[hash & indirection_table_mask]
        Assert.Equal(config.IndirectionTable[(int)(v.HashWithPorts & (uint)(tableLength - 1))], result.Queue);
        Assert.Equal(v.HashWithPorts, result.HashValue);
    }

    [HostFact(HostNeeds.Bpf)]
    public void A_shorter_key_is_zero_padded()
    {
        // IPv6 with ports: 36 input bytes use key bytes 0..39, so the padding matters.
        var v = ToeplitzVectors.Get("msft-ipv6-1");
        var config = Identity(VirtioNetHashTypes.All) with { Key = ToeplitzVectors.Key };
        programs.Plain.Configure(config);
        var full = programs.Plain.TestRun(Tcp(v).Build());
        byte[] padded = ToeplitzVectors.Key[..20].Concat(new byte[20]).ToArray();
        programs.Plain.Configure(config with { Key = padded });
        var withPadded = programs.Plain.TestRun(Tcp(v).Build());
        programs.Plain.Configure(config with { Key = ToeplitzVectors.Key[..20] });

        var shortKey = programs.Plain.TestRun(Tcp(v).Build());

        Assert.Equal(v.HashWithPorts, full.HashValue);
        Assert.NotEqual(full.HashValue, withPadded.HashValue);
        Assert.Equal(withPadded, shortKey);
    }
}
