using System.Diagnostics;
using MiniVmm.Bpf;
using MiniVmm.HostNet.Steering;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Native;
using MiniVmm.Rss;
using Tmds.Linux;
using static MiniVmm.IntegrationTests.Bpf.SteeringCases;


namespace MiniVmm.IntegrationTests.Bpf;

/// <summary>The probes answer from the kernel, and can tell present from absent.</summary>
public sealed class SteeringProbeTests
{
    [HostFact(HostNeeds.Bpf)]
    public void The_hash_kfuncs_of_docs_bpf_md_are_absent_from_this_kernel()
    {
        string doc = File.ReadAllText(Path.Combine(RepoPaths.Root, "docs", "BPF.md"));
        Assert.NotEmpty(SteeringKfuncs.Required);
        using var probe = new BpfSteeringProbe();
        foreach (string name in SteeringKfuncs.Required)
        {
            Assert.Contains(name, doc);
            Assert.False(probe.KfuncExists(name), name);
        }
        var caps = new KernelSteeringCapabilities(probe);
        Assert.False(caps.HashKfuncs.Available);
        Assert.Contains("bpf_skb_set_vnet_hash", caps.HashKfuncs.Reason);
    }

    [HostFact(HostNeeds.Bpf)]
    public void A_kfunc_this_kernel_has_is_found()
    {
        // bpf_dynptr_from_skb is a BTF_KIND_FUNC kfunc since Linux 6.3; bpftool confirms it here.
        Assert.Contains("FUNC 'bpf_dynptr_from_skb'", BpftoolBtfDump("/sys/kernel/btf/vmlinux", "bpf_dynptr_from_skb"));
        Assert.True(SteeringProbe.KernelFunctionExists("bpf_dynptr_from_skb"));
        Assert.False(SteeringProbe.KernelFunctionExists("bpf_minivmm_no_such_kfunc"));
    }

    [HostFact(HostNeeds.Bpf | HostNeeds.Tap)]
    public void Load_and_attach_works_on_a_tap_and_an_fd_that_is_no_tap_says_why()
    {
        using var probe = new BpfSteeringProbe();
        using var tap = MiniVmm.HostNet.Tap.Create(MiniVmm.IntegrationTests.HostNet.TapTestKit.UniqueName(), 1);
        ProbeResult works = probe.CanLoadAndAttach(tap.Queues[0].Handle);
        using var notATap = new EventFd();
        ProbeResult refused = probe.CanLoadAndAttach(notATap.Handle);

        Assert.True(works.Available, works.Reason);
        Assert.False(refused.Available);
        Assert.Contains("TUNSETSTEERINGEBPF", refused.Reason);
    }

    [HostFact(HostNeeds.Bpf)]
    public void A_program_rebuilt_from_passed_fds_configures_and_runs_like_the_loaded_one()
    {
        SteeringProgramFixture.BuildObjects();
        using var loaded = RssSteeringProgram.Load(SteeringProgramFixture.PlainObject);
        var v = ToeplitzVectors.Get("msft-ipv4-5");

        using (var passed = RssSteeringProgram.FromFileDescriptors(Dup(loaded.ProgramFd), Dup(loaded.ConfigMapFd), Dup(loaded.ResultMapFd)))
        {
            passed.Configure(Identity(VirtioNetHashTypes.All));
            Assert.Equal(new RssResult(v.HashWithPorts, VirtioNetHashReport.TcpV4, (ushort)(v.HashWithPorts & 127)), passed.TestRun(Tcp(v).Build()));
        }
        using var withoutResultMap = RssSteeringProgram.FromFileDescriptors(Dup(loaded.ProgramFd), Dup(loaded.ConfigMapFd));
        Assert.Throws<InvalidOperationException>(() => withoutResultMap.TestRun(Tcp(v).Build()));

        // Disposing the passed copies closed only the duplicates: the original still works.
        Assert.Equal(v.HashWithPorts, loaded.TestRun(Tcp(v).Build()).HashValue);
    }

    [HostFact(HostNeeds.Bpf)]
    public void The_map_value_layouts_match_the_btf_of_the_object()
    {
        SteeringProgramFixture.BuildObjects();
        string dump = BpftoolBtfDump(SteeringProgramFixture.PlainObject, "rss_");
        Assert.Contains($"STRUCT 'rss_config' size={System.Runtime.CompilerServices.Unsafe.SizeOf<RssConfigValue>()} vlen=8", dump);
        Assert.Contains($"STRUCT 'rss_result' size={System.Runtime.CompilerServices.Unsafe.SizeOf<RssResultValue>()} vlen=4", dump);
        string[] lines = BpftoolBtfDump(SteeringProgramFixture.PlainObject, "").Split('\n');
        int start = Array.FindIndex(lines, l => l.Contains("STRUCT 'rss_config'"));
        string members = string.Join('\n', lines.Skip(start + 1).Take(8));
        (string Field, string CName)[] fields =
        [
            (nameof(RssConfigValue.Enabled), "enabled"), (nameof(RssConfigValue.HashTypes), "hash_types"),
            (nameof(RssConfigValue.TableMask), "table_mask"), (nameof(RssConfigValue.UnclassifiedQueue), "unclassified_queue"),
            (nameof(RssConfigValue.TableLength), "table_length"), (nameof(RssConfigValue.Table), "table"),
            (nameof(RssConfigValue.Key), "key"),
        ];
        foreach (var (field, cname) in fields)
        {
            long bits = System.Runtime.InteropServices.Marshal.OffsetOf<RssConfigValue>(field) * 8;
            Assert.Matches($"'{cname}' type_id=\\d+ bits_offset={bits}\\b", members);
        }
    }

    private static FileDescriptor Dup(int fd) => FileDescriptor.FromResult(LibC.dup(fd), "dup");

    private static string BpftoolBtfDump(string file, string grep)
    {
        var psi = new ProcessStartInfo("bpftool", ["btf", "dump", "file", file]) { RedirectStandardOutput = true };
        using var p = Process.Start(psi)!;
        string output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return string.Join('\n', output.Split('\n').Where(l => l.Contains(grep) || grep.Length == 0));
    }
}
