using MiniVmm.HostNet.Steering;
using MiniVmm.HostNet.VhostNet;

namespace MiniVmm.UnitTests.VhostNet;

/// <summary>
/// Every row of the data path table (docs/VHOST.md): the choice at DRIVER_OK is a function of the
/// request, the vhost-net probe, the steering back end with its probes, and the negotiated features.
/// The rule under test: vhost-net moves packets and headers as they are, so it carries the data path
/// only when the kernel steers and, with HASH_REPORT negotiated, fills the hash too.
/// </summary>
public sealed class VhostNetSelectorTests
{
    private const ulong Version1 = 1UL << 32, EventIdx = 1UL << 29, IndirectDesc = 1UL << 28, MrgRxbuf = 1UL << 15;
    private const ulong CtrlVq = 1UL << 17, Mq = 1UL << 22, Mac = 1UL << 5, Status = 1UL << 16, Csum = 1UL << 0, GuestCsum = 1UL << 1;
    private const ulong Rss = 1UL << 60, HashReport = 1UL << 57;

    /// <summary>What a Linux guest negotiates from our TAP NIC's offer, before RSS and HASH_REPORT.</summary>
    private const ulong Linux = Version1 | EventIdx | IndirectDesc | MrgRxbuf | CtrlVq | Mq | Mac | Status | Csum | GuestCsum;

    /// <summary>Mainline vhost-net's VHOST_GET_FEATURES without the vhost-only bits 26 and 27.</summary>
    private const ulong Mainline = FakeVhostNet.MainlineFeatures & ~((1UL << 26) | (1UL << 27));

    private static readonly ProbeResult Present = ProbeResult.Yes("/dev/vhost-net opens, VHOST_GET_FEATURES 0x1033d008000");
    private static readonly ProbeResult Absent = ProbeResult.No("open /dev/vhost-net: ENOENT (2): no vhost-net in this kernel (CONFIG_VHOST_NET, or modprobe vhost_net)");

    private static readonly FakeSteeringCapabilities Mainstream = new();
    private static readonly FakeSteeringCapabilities TunHashing = new() { TunHashIoctls = FakeSteeringCapabilities.IoctlsPresent };
    private static readonly FakeSteeringCapabilities Kfuncs = new() { HashKfuncs = FakeSteeringCapabilities.KfuncsPresent };
    private static readonly FakeSteeringCapabilities NoBpf = new() { EbpfSteering = FakeSteeringCapabilities.BpfDenied };

    private static VhostNetConditions Conditions(VhostRequest request, bool present, SteeringBackendKind steering, ISteeringCapabilities probes, ulong vhost = Mainline) =>
        new(request, present ? Present : Absent, present ? vhost : 0, steering, probes);

    public static TheoryData<string, VhostNetConditions, ulong, DataPathKind, string> Rows() => new()
    {
        { "off: the VMM's workers whatever else holds",
            Conditions(VhostRequest.Off, true, SteeringBackendKind.EbpfHybrid, Mainstream), Linux, DataPathKind.InProcess, "vhost=off" },
        { "auto without /dev/vhost-net",
            Conditions(VhostRequest.Auto, false, SteeringBackendKind.EbpfHybrid, Mainstream), Linux | Rss, DataPathKind.InProcess,
            "vhost=auto: vhost-net: no (open /dev/vhost-net: ENOENT (2)" },
        { "auto, eBPF steers, no hash report: vhost-net",
            Conditions(VhostRequest.Auto, true, SteeringBackendKind.EbpfHybrid, Mainstream), Linux | Rss, DataPathKind.VhostNet,
            "vhost=auto: steering ebpf-hybrid keeps packets in the kernel; hash report not negotiated" },
        { "auto, eBPF steers, hash report negotiated on a mainline kernel: in-process",
            Conditions(VhostRequest.Auto, true, SteeringBackendKind.EbpfHybrid, Mainstream), Linux | Rss | HashReport, DataPathKind.InProcess,
            "vhost=auto: negotiated HASH_REPORT, and the kernel cannot report the hash: steering ebpf-hybrid leaves it to the VMM"
            + " (tun hashing ioctls: no (TUNGETVNETHASHTYPES answered EINVAL); hash kfuncs: no (bpf_skb_set_vnet_hash not in kernel BTF))" },
        { "auto, hash report without RSS on a mainline kernel: in-process",
            Conditions(VhostRequest.Auto, true, SteeringBackendKind.EbpfHybrid, Mainstream), Linux | HashReport, DataPathKind.InProcess,
            "negotiated HASH_REPORT, and the kernel cannot report the hash" },
        { "auto, software steering with RSS: the VMM re-steers",
            Conditions(VhostRequest.Auto, true, SteeringBackendKind.Software, NoBpf), Linux | Rss, DataPathKind.InProcess,
            "vhost=auto: negotiated RSS with steering software, which re-steers every packet in the VMM (ebpf steering: no (BPF_PROG_LOAD: EPERM))" },
        { "auto, software steering, neither RSS nor hash report: nothing to steer, vhost-net",
            Conditions(VhostRequest.Auto, true, SteeringBackendKind.Software, NoBpf), Linux, DataPathKind.VhostNet,
            "vhost=auto: no RSS negotiated: nothing for steering software to do, the TAP picks queues; hash report not negotiated" },
        { "auto, software steering, hash report without RSS: in-process",
            Conditions(VhostRequest.Auto, true, SteeringBackendKind.Software, NoBpf), Linux | HashReport, DataPathKind.InProcess,
            "negotiated HASH_REPORT, and the kernel cannot report the hash: steering software leaves it to the VMM" },
        { "auto, tun hashes and reports, vhost-net carries 20-byte headers: vhost-net",
            Conditions(VhostRequest.Auto, true, SteeringBackendKind.Kernel, TunHashing, Mainline | HashReport), Linux | Rss | HashReport, DataPathKind.VhostNet,
            "vhost=auto: steering kernel keeps packets in the kernel; tun fills the reported hash" },
        { "auto, tun hashes and reports, mainline vhost-net's 12-byte headers: in-process",
            Conditions(VhostRequest.Auto, true, SteeringBackendKind.Kernel, TunHashing), Linux | Rss | HashReport, DataPathKind.InProcess,
            "negotiated HASH_REPORT: tun fills the hash, but this vhost-net passes 12-byte vnet headers (VHOST_GET_FEATURES 0x10331008000 lacks VIRTIO_NET_F_HASH_REPORT)" },
        { "auto, tun steers, hash report not negotiated: vhost-net",
            Conditions(VhostRequest.Auto, true, SteeringBackendKind.Kernel, TunHashing), Linux | Rss, DataPathKind.VhostNet,
            "steering kernel keeps packets in the kernel; hash report not negotiated" },
        { "auto, kfunc program, hash report negotiated: HASH_CONFIG would need the VMM",
            Conditions(VhostRequest.Auto, true, SteeringBackendKind.EbpfKfuncs, Kfuncs, Mainline | HashReport), Linux | Rss | HashReport, DataPathKind.InProcess,
            "negotiated HASH_REPORT with steering ebpf-kfuncs, whose program stores the hash only while it steers (RSS_CONFIG)" },
        { "auto, kfunc program, hash report not negotiated: vhost-net",
            Conditions(VhostRequest.Auto, true, SteeringBackendKind.EbpfKfuncs, Kfuncs), Linux | Rss, DataPathKind.VhostNet,
            "steering ebpf-kfuncs keeps packets in the kernel; hash report not negotiated" },
        { "auto, a ring feature the kernel lacks was negotiated: in-process",
            Conditions(VhostRequest.Auto, true, SteeringBackendKind.EbpfHybrid, Mainstream, Mainline & ~EventIdx), Linux | Rss, DataPathKind.InProcess,
            "vhost=auto: negotiated ring features 0x20000000, which vhost-net does not offer (VHOST_GET_FEATURES 0x10311008000)" },
        { "on, eBPF steers, no hash report: vhost-net",
            Conditions(VhostRequest.On, true, SteeringBackendKind.EbpfHybrid, Mainstream), Linux | Rss, DataPathKind.VhostNet,
            "vhost=on: steering ebpf-hybrid keeps packets in the kernel; hash report not negotiated" },
        { "on with hash report negotiated anyway (start refuses such an offer): in-process, never a wrong header",
            Conditions(VhostRequest.On, true, SteeringBackendKind.EbpfHybrid, Mainstream), Linux | HashReport, DataPathKind.InProcess,
            "vhost=on: negotiated HASH_REPORT, and the kernel cannot report the hash" },
    };

    [Theory]
    [MemberData(nameof(Rows))]
    public void The_data_path_at_DRIVER_OK(string row, VhostNetConditions conditions, ulong negotiated, DataPathKind expected, string reason)
    {
        DataPathChoice choice = VhostNetSelector.Choose(conditions, negotiated);
        Assert.True(expected == choice.Kind, $"{row}: {choice.LogLine}");
        Assert.Contains(reason, choice.Reason);
        Assert.StartsWith(expected == DataPathKind.VhostNet ? "data path: vhost-net (" : "data path: in-process (", choice.LogLine);
    }

    [Fact]
    public void On_offers_only_the_ring_features_vhost_net_has_and_auto_offers_the_in_process_set()
    {
        const ulong offer = Linux | Rss;
        ulong withoutEventIdx = Mainline & ~EventIdx;
        Assert.Equal(offer & ~EventIdx, VhostNetSelector.Offer(Conditions(VhostRequest.On, true, SteeringBackendKind.EbpfHybrid, Mainstream, withoutEventIdx), offer));
        Assert.Equal(offer, VhostNetSelector.Offer(Conditions(VhostRequest.Auto, true, SteeringBackendKind.EbpfHybrid, Mainstream, withoutEventIdx), offer));
        // VERSION_1 is never masked: a device without it is not one we serve, so `on` refuses instead.
        var noVersion1 = Conditions(VhostRequest.On, true, SteeringBackendKind.EbpfHybrid, Mainstream, Mainline & ~Version1);
        Assert.Equal(offer, VhostNetSelector.Offer(noVersion1, offer));
        var e = Assert.Throws<VhostNetUnavailableException>(() => VhostNetSelector.CheckOn(noVersion1, offer));
        Assert.Equal("vhost=on: the kernel data path cannot serve ring features 0x100000000, which vhost-net does not offer (VHOST_GET_FEATURES 0x10231008000); give vhost=auto to fall back to the in-process data path", e.Message);
    }

    [Fact]
    public void On_refuses_at_start_what_the_kernel_could_not_carry_with_one_line_naming_the_fix()
    {
        var missing = Assert.Throws<VhostNetUnavailableException>(() =>
            VhostNetSelector.CheckOn(Conditions(VhostRequest.On, false, SteeringBackendKind.EbpfHybrid, Mainstream), Linux));
        Assert.Equal($"vhost=on: vhost-net: {Absent}", missing.Message);

        var hash = Assert.Throws<VhostNetUnavailableException>(() =>
            VhostNetSelector.CheckOn(Conditions(VhostRequest.On, true, SteeringBackendKind.EbpfHybrid, Mainstream), Linux | Rss | HashReport));
        Assert.StartsWith("vhost=on: the kernel data path cannot serve HASH_REPORT, and the kernel cannot report the hash", hash.Message);
        Assert.EndsWith("; give hash-report=off, or vhost=auto to fall back to the in-process data path", hash.Message);

        var rss = Assert.Throws<VhostNetUnavailableException>(() =>
            VhostNetSelector.CheckOn(Conditions(VhostRequest.On, true, SteeringBackendKind.Software, NoBpf), Linux | Rss));
        Assert.EndsWith("; give rss=off, or vhost=auto to fall back to the in-process data path", rss.Message);
        Assert.DoesNotContain('\n', rss.Message);
    }

    [Fact]
    public void On_accepts_an_offer_the_kernel_carries_and_auto_is_never_refused()
    {
        VhostNetSelector.CheckOn(Conditions(VhostRequest.On, true, SteeringBackendKind.EbpfHybrid, Mainstream), Linux | Rss);
        VhostNetSelector.CheckOn(Conditions(VhostRequest.On, true, SteeringBackendKind.Kernel, TunHashing, Mainline | HashReport), Linux | Rss | HashReport);
        VhostNetSelector.CheckOn(Conditions(VhostRequest.Auto, false, SteeringBackendKind.Software, NoBpf), Linux | Rss | HashReport);
        // And what CheckOn let through, Choose carries in the kernel (the promise `on` makes).
        Assert.Equal(DataPathKind.VhostNet, VhostNetSelector.Choose(Conditions(VhostRequest.On, true, SteeringBackendKind.EbpfHybrid, Mainstream), Linux | Rss).Kind);
    }

    [Theory]
    [InlineData("on", VhostRequest.On)]
    [InlineData("OFF", VhostRequest.Off)]
    [InlineData(" auto ", VhostRequest.Auto)]
    public void Parses_the_three_values(string text, VhostRequest expected) => Assert.Equal(expected, VhostNetSelector.Parse(text));

    [Fact]
    public void Refuses_other_values() => Assert.Throws<FormatException>(() => VhostNetSelector.Parse("yes"));
}
