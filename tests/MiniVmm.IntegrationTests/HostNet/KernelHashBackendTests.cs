using System.Diagnostics;
using MiniVmm.Bpf;
using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Native;
using MiniVmm.Native.Net;
using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

namespace MiniVmm.IntegrationTests.HostNet;

/// <summary>
/// The kernel and ebpf-kfuncs back ends on this host, whose kernel has neither the tun hashing
/// ioctls nor the hash-storing kfunc: asking for them fails cleanly, and what can run of them runs.
/// </summary>
public sealed class KernelHashBackendTests
{
    [HostTheory(HostNeeds.Tap)]
    [InlineData("kernel", "steering=kernel: kernel is not available here: TUNGETVNETHASHTYPES (0x800454e4) answered EINVAL")]
    [InlineData("ebpf-kfuncs", "steering=ebpf-kfuncs: ebpf-kfuncs is not available here: bpf_skb_set_vnet_hash not in kernel BTF")]
    public void ExplicitRequest_FailsWithOneLineNamingTheProbe_AndLeavesNoTap(string steering, string expected)
    {
        string probe = Path.Combine(RepoPaths.GuestImages, "probe.elf");
        Assert.True(File.Exists(RepoPaths.Cli), $"run ./build.sh first: {RepoPaths.Cli} is missing");
        Assert.True(File.Exists(probe), $"run ./build.sh first: {probe} is missing");
        string tap = TapTestKit.UniqueName();
        var start = new ProcessStartInfo(RepoPaths.Cli) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[] { "run", "--kernel", probe, "--cmdline", "expect=0", "--net", $"tap={tap},steering={steering}" }) start.ArgumentList.Add(a);
        try
        {
            using Process p = Process.Start(start)!;
            Task<string> stdout = p.StandardOutput.ReadToEndAsync();
            string stderr = p.StandardError.ReadToEnd();
            Assert.True(p.WaitForExit(60_000), "minivmm did not exit within 60 s");
            string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.Single(lines);
            Assert.StartsWith("minivmm: ", lines[0]);
            Assert.Contains(expected, lines[0]);
            Assert.NotEqual(0, p.ExitCode);
            Assert.Equal("", stdout.Result);
            TapTestKit.AssertRemoved(tap);
        }
        finally
        {
            TapTestKit.DeletePersistent(tap);
        }
    }

    [HostFact(HostNeeds.Tap)]
    public void KernelBackEnd_OnAKernelWithoutTheSeries_FailsWithTheIoctlsErrno_BeforeChangingTheTap()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 2);
        var choice = new SteeringChoice(SteeringBackendKind.Kernel, "test") { HashReport = true };
        var e = Assert.Throws<SyscallException>(() => SteeringBackends.Create(choice, tap));
        Assert.Equal("TUNSETVNETREPORTINGAUTOMQ: EINVAL (22)", e.Message);
        Assert.Equal(12, TunDevice.GetVnetHeaderSize(tap.Queues[0].Handle));
        Assert.Equal(12, tap.Queues[1].HeaderBytes);
    }

    [HostFact(HostNeeds.Tap | HostNeeds.Bpf)]
    public void KfuncBackEnd_SetsTheHashHeaderSize_AndItsProgramSteersHere()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 4);
        // The kfunc variant loads here: the weak kfunc resolves to 0 and the verifier drops the call.
        using var backend = KfuncSteeringBackend.Create(tap, RssSteeringProgram.LoadEmbedded(withHashKfuncs: true));
        Assert.Equal(20, TunDevice.GetVnetHeaderSize(tap.Queues[3].Handle));
        Assert.Equal(20, backend.PortOf(0).HeaderBytes);
        Assert.False(Assert.IsType<TapPort>(backend.PortOf(0)).KernelFillsHash);

        var everythingToQueue2 = new RssConfiguration
        {
            HashTypes = VirtioNetHashTypes.All,
            Key = RssConfiguration.DefaultKey.ToArray(),
            IndirectionTable = [2, 2, 2, 2],
            UnclassifiedQueue = 2,
        };
        backend.Apply(new SteeringState(everythingToQueue2, 4, 1));
        Assert.True(backend.Attached);
        Assert.True(Assert.IsType<TapPort>(backend.PortOf(2)).KernelFillsHash);

        TapTestKit.Drain(tap.Queues);
        using PacketInjector injector = PacketInjector.Open(tap.Name);
        byte[] frame = TapTestKit.UdpFrame(id: 11, sourcePort: 4321);
        injector.Send(frame);
        (int queue, byte[] packet) = TapTestKit.ReadUntil(tap.Queues, 11, Tap.VnetHashHeaderBytes);
        Assert.Equal(2, queue);
        Assert.Equal(Tap.VnetHashHeaderBytes + frame.Length, packet.Length);
        Assert.Equal(frame, packet[Tap.VnetHashHeaderBytes..]);

        backend.Apply(new SteeringState(null, 4, 2));
        Assert.False(backend.Attached);
        Assert.False(Assert.IsType<TapPort>(backend.PortOf(2)).KernelFillsHash);
    }
}
