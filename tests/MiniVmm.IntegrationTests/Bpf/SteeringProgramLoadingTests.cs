using MiniVmm.Bpf;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Native;
using MiniVmm.Rss;
using static MiniVmm.IntegrationTests.Bpf.SteeringCases;


namespace MiniVmm.IntegrationTests.Bpf;

/// <summary>Every way of loading the program gives the same program; libbpf's log goes where we route it.</summary>
public sealed class SteeringProgramLoadingTests
{
    private static readonly ToeplitzVector V = ToeplitzVectors.Get("msft-ipv6-3");

    private static void AssertHashesTheVector(RssSteeringProgram program)
    {
        program.Configure(Identity(VirtioNetHashTypes.All));
        Assert.Equal(new RssResult(V.HashWithPorts, VirtioNetHashReport.UdpV6, (ushort)(V.HashWithPorts & 127)), program.TestRun(Udp(V).Build()));
    }

    [HostFact(HostNeeds.Bpf)]
    public void The_embedded_objects_load_and_hash()
    {
        using var plain = RssSteeringProgram.LoadEmbedded();
        using var kfunc = RssSteeringProgram.LoadEmbedded(withHashKfuncs: true);
        AssertHashesTheVector(plain);
        AssertHashesTheVector(kfunc);
    }

    [HostFact(HostNeeds.Bpf)]
    public void An_object_in_memory_loads_and_hashes()
    {
        SteeringProgramFixture.BuildObjects();
        using var program = RssSteeringProgram.Load(File.ReadAllBytes(SteeringProgramFixture.PlainObject));
        AssertHashesTheVector(program);
    }

    [HostFact(HostNeeds.Bpf)]
    public void A_file_that_is_not_a_bpf_object_fails_naming_the_libbpf_call()
    {
        string path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "not an ELF file");
            var e = Assert.Throws<SyscallException>(() => RssSteeringProgram.Load(path));
            Assert.StartsWith("bpf_object__open_file", e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [HostFact(HostNeeds.Bpf)]
    public void Libbpf_log_lines_reach_the_routed_sink_and_stop_when_silenced()
    {
        var lines = new List<string>();
        LibBpfLog.RouteTo((level, line) => { lock (lines) lines.Add($"{level}: {line}"); });
        try
        {
            using (RssSteeringProgram.LoadEmbedded()) { }
        }
        finally
        {
            LibBpfLog.RouteTo(null);
        }
        int count;
        lock (lines)
        {
            Assert.Contains(lines, l => l.Contains("rss_config"));
            count = lines.Count;
        }
        using (RssSteeringProgram.LoadEmbedded()) { }
        lock (lines) Assert.Equal(count, lines.Count);
    }
}
