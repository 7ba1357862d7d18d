using MiniVmm.HostNet.Steering;
using static MiniVmm.Testing.FakeSteeringCapabilities;

namespace MiniVmm.UnitTests.HostNet;

public sealed class SteeringSelectorTests
{
    public static TheoryData<bool, bool, bool, bool, SteeringBackendKind> AutoCases => new()
    {
        // ioctls, kfuncs, bpf loads, hash report -> auto's choice (top down: kernel, ebpf-kfuncs, ebpf-hybrid, software)
        { true, true, true, true, SteeringBackendKind.Kernel },
        { true, false, false, false, SteeringBackendKind.Kernel },
        { false, true, true, true, SteeringBackendKind.EbpfKfuncs },
        { false, true, true, false, SteeringBackendKind.EbpfHybrid },   // kfuncs only store a hash nobody reads
        { false, false, true, true, SteeringBackendKind.EbpfHybrid },
        { false, false, true, false, SteeringBackendKind.EbpfHybrid },
        { false, true, false, true, SteeringBackendKind.Software },      // kfuncs without a loadable program are no use
        { false, false, false, true, SteeringBackendKind.Software },
        { false, false, false, false, SteeringBackendKind.Software },
    };

    [Theory]
    [MemberData(nameof(AutoCases))]
    public void Auto_PicksTheFirstAvailableTopDown(bool ioctls, bool kfuncs, bool bpf, bool hashReport, SteeringBackendKind expected)
    {
        var caps = new FakeSteeringCapabilities
        {
            TunHashIoctls = ioctls ? IoctlsPresent : IoctlsAbsent,
            HashKfuncs = kfuncs ? KfuncsPresent : KfuncsAbsent,
            EbpfSteering = bpf ? BpfWorks : BpfDenied,
        };
        Assert.Equal(expected, SteeringSelector.Choose(SteeringRequest.Auto, caps, hashReport).Kind);
    }

    [Fact]
    public void LogLine_NamesTheBackEndAndEveryProbeResult()
    {
        var caps = new FakeSteeringCapabilities { EbpfSteering = BpfWorks };
        SteeringChoice choice = SteeringSelector.Choose(SteeringRequest.Auto, caps, hashReportWanted: true);
        Assert.Equal(
            "steering: ebpf-hybrid (requested auto, hash report on: BPF program steers, VMM hashes for the report); "
            + "tun hashing ioctls: no (TUNGETVNETHASHTYPES answered EINVAL); hash kfuncs: no (bpf_skb_set_vnet_hash not in kernel BTF); "
            + "ebpf steering: yes (loaded and attached)",
            choice.LogLine);
        Assert.True(choice.HashesInProcess);
    }

    [Theory]
    [InlineData(SteeringBackendKind.Kernel, false, false)]
    [InlineData(SteeringBackendKind.EbpfKfuncs, true, false)]
    [InlineData(SteeringBackendKind.EbpfHybrid, true, true)]
    [InlineData(SteeringBackendKind.EbpfHybrid, false, false)]
    [InlineData(SteeringBackendKind.Software, false, true)]
    public void HashesInProcess_OnlyWhereTheVmmMustHash(SteeringBackendKind kind, bool hashReport, bool expected)
    {
        var caps = new FakeSteeringCapabilities { TunHashIoctls = IoctlsPresent, HashKfuncs = KfuncsPresent, EbpfSteering = BpfWorks };
        SteeringRequest request = Enum.Parse<SteeringRequest>(kind.ToString());
        SteeringChoice choice = SteeringSelector.Choose(request, caps, hashReport);
        Assert.Equal(kind, choice.Kind);
        Assert.Equal(expected, choice.HashesInProcess);
    }

    [Fact]
    public void ExplicitKernel_WhenTheIoctlsAreAbsent_IsAnErrorThatSaysWhy()
    {
        var e = Assert.Throws<SteeringUnavailableException>(() =>
            SteeringSelector.Choose(SteeringRequest.Kernel, new FakeSteeringCapabilities(), hashReportWanted: true));
        Assert.Equal("steering=kernel: kernel is not available here: TUNGETVNETHASHTYPES answered EINVAL", e.Message);
    }

    [Fact]
    public void ExplicitEbpf_WhenBpfIsDenied_IsAnErrorThatSaysWhy()
    {
        var caps = new FakeSteeringCapabilities { EbpfSteering = BpfDenied, HashKfuncs = KfuncsPresent };
        var e = Assert.Throws<SteeringUnavailableException>(() => SteeringSelector.Choose(SteeringRequest.Ebpf, caps, true));
        Assert.Equal("steering=ebpf: ebpf-hybrid is not available here: BPF_PROG_LOAD: EPERM", e.Message);
        var k = Assert.Throws<SteeringUnavailableException>(() => SteeringSelector.Choose(SteeringRequest.EbpfKfuncs, caps, true));
        Assert.Equal("steering=ebpf-kfuncs: ebpf-kfuncs is not available here: BPF_PROG_LOAD: EPERM", k.Message);
    }

    [Fact]
    public void ExplicitEbpfKfuncs_WithoutKfuncs_NamesTheMissingKfunc()
    {
        var e = Assert.Throws<SteeringUnavailableException>(() =>
            SteeringSelector.Choose(SteeringRequest.EbpfKfuncs, new FakeSteeringCapabilities(), true));
        Assert.Equal("steering=ebpf-kfuncs: ebpf-kfuncs is not available here: bpf_skb_set_vnet_hash not in kernel BTF", e.Message);
    }

    [Theory]
    [InlineData(true, SteeringBackendKind.EbpfKfuncs)]
    [InlineData(false, SteeringBackendKind.EbpfHybrid)]
    public void ExplicitEbpf_PrefersKfuncsOnlyForHashReport(bool hashReport, SteeringBackendKind expected)
    {
        var caps = new FakeSteeringCapabilities { HashKfuncs = KfuncsPresent, EbpfSteering = BpfWorks };
        Assert.Equal(expected, SteeringSelector.Choose(SteeringRequest.Ebpf, caps, hashReport).Kind);
    }

    [Fact]
    public void ExplicitSoftware_AlwaysWorks_EvenWhenEverythingElseDoes()
    {
        var caps = new FakeSteeringCapabilities { TunHashIoctls = IoctlsPresent, HashKfuncs = KfuncsPresent, EbpfSteering = BpfWorks };
        SteeringChoice choice = SteeringSelector.Choose(SteeringRequest.Software, caps, false);
        Assert.Equal(SteeringBackendKind.Software, choice.Kind);
        Assert.StartsWith("steering: software (requested software, hash report off: VMM hashes and re-steers)", choice.LogLine);
    }

    [Theory]
    [InlineData("auto", SteeringRequest.Auto)]
    [InlineData("Kernel", SteeringRequest.Kernel)]
    [InlineData("ebpf", SteeringRequest.Ebpf)]
    [InlineData("ebpf-kfuncs", SteeringRequest.EbpfKfuncs)]
    [InlineData("ebpf+kfuncs", SteeringRequest.EbpfKfuncs)]
    [InlineData("ebpf-hybrid", SteeringRequest.EbpfHybrid)]
    [InlineData(" software ", SteeringRequest.Software)]
    public void ParseRequest_AcceptsTheDocumentedNames(string text, SteeringRequest expected) =>
        Assert.Equal(expected, SteeringSelector.ParseRequest(text));

    [Fact]
    public void ParseRequest_RejectsOthersWithOneLine()
    {
        var e = Assert.Throws<FormatException>(() => SteeringSelector.ParseRequest("fast"));
        Assert.Equal("steering=fast: expected auto, kernel, ebpf, ebpf-kfuncs, ebpf-hybrid or software", e.Message);
    }

    [Fact]
    public void Explicit_software_needs_no_probe_and_says_so()
    {
        SteeringChoice choice = SteeringSelector.Choose(SteeringRequest.Software, new UnprobedSteeringCapabilities(), hashReportWanted: true);
        Assert.Equal(SteeringBackendKind.Software, choice.Kind);
        Assert.Contains("not probed", choice.LogLine);
        Assert.Throws<SteeringUnavailableException>(() =>
            SteeringSelector.Choose(SteeringRequest.Ebpf, new UnprobedSteeringCapabilities(), hashReportWanted: true));
    }
}
