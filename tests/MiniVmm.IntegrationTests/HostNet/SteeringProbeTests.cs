using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Native;
using MiniVmm.Native.Net;

namespace MiniVmm.IntegrationTests.HostNet;

/// <summary>The real capability probes against this host's kernel (this host's tun has no virtio-net hashing: docs/STEERING.md).</summary>
public sealed class SteeringProbeTests
{
    private sealed class RecordingBpfProbe(bool loads) : IBpfProbe
    {
        public string? AttachedTo;
        public readonly List<string> Looked = new();

        public ProbeResult CanLoadAndAttach(FileDescriptor tapQueue)
        {
            AttachedTo = TunDevice.GetInterface(tapQueue).Name; // a live TAP queue fd, as TUNSETSTEERINGEBPF needs
            return loads ? ProbeResult.Yes("loaded and attached") : ProbeResult.No("BPF_PROG_LOAD: EPERM");
        }

        public bool KfuncExists(string name)
        {
            Looked.Add(name);
            return false;
        }
    }

    [HostFact(HostNeeds.Tap)]
    public void TunHashing_IsAbsentHere_AndTheProbeSaysWhichIoctlAndErrno()
    {
        var caps = new KernelSteeringCapabilities(bpf: null);
        Assert.False(caps.TunHashIoctls.Available);
        Assert.Equal("TUNGETVNETHASHTYPES (0x800454e4) answered EINVAL: this kernel's tun has no virtio-net hashing", caps.TunHashIoctls.Reason);
        Assert.Equal(ProbeResult.No("no BPF layer to look kfuncs up"), caps.HashKfuncs);
        Assert.Equal(ProbeResult.No("no BPF layer to load a program"), caps.EbpfSteering);
        Assert.Equal(SteeringBackendKind.Software, SteeringSelector.Choose(SteeringRequest.Auto, caps, true).Kind);
    }

    [HostFact(HostNeeds.Tap)]
    public void BpfProbes_GetAThrowawayTapQueue_WhichIsGoneAfterwards()
    {
        var bpf = new RecordingBpfProbe(loads: true);
        var caps = new KernelSteeringCapabilities(bpf);

        Assert.NotNull(bpf.AttachedTo);
        Assert.Matches("^mvprobe[0-9]+$", bpf.AttachedTo);
        TapTestKit.AssertRemoved(bpf.AttachedTo!);
        Assert.Equal(SteeringKfuncs.Required, bpf.Looked);
        Assert.Equal(ProbeResult.No("bpf_skb_set_vnet_hash not in kernel BTF"), caps.HashKfuncs);
        Assert.True(caps.EbpfSteering.Available);
        SteeringChoice choice = SteeringSelector.Choose(SteeringRequest.Auto, caps, hashReportWanted: true);
        Assert.Equal(SteeringBackendKind.EbpfHybrid, choice.Kind);
        Assert.Contains("tun hashing ioctls: no (TUNGETVNETHASHTYPES (0x800454e4) answered EINVAL", choice.LogLine);
    }

    [HostFact(HostNeeds.Tap)]
    public void AProbeThatThrows_CountsAsUnavailable_WithTheReason()
    {
        var caps = new KernelSteeringCapabilities(new ThrowingBpfProbe());
        Assert.Equal(ProbeResult.No("loading the steering program failed: libbpf missing"), caps.EbpfSteering);
        Assert.Equal(ProbeResult.No("looking kfuncs up failed: no BTF"), caps.HashKfuncs);
    }

    private sealed class ThrowingBpfProbe : IBpfProbe
    {
        public ProbeResult CanLoadAndAttach(FileDescriptor tapQueue) => throw new DllNotFoundException("libbpf missing");

        public bool KfuncExists(string name) => throw new FileNotFoundException("no BTF");
    }

    [HostFact(HostNeeds.Tap)]
    public void KernelBackEnd_OnAKernelWithoutTheSeries_FailsNamingTheIoctl()
    {
        using Tap tap = Tap.Create(TapTestKit.UniqueName(), 2);
        var e = Assert.Throws<SyscallException>(() => TunVnetHashing.Configure(tap, MiniVmm.Rss.RssConfiguration.Spread(2), reportHash: true));
        Assert.Equal("TUNSETVNETREPORTINGRSS: EINVAL (22)", e.Message);
    }
}
