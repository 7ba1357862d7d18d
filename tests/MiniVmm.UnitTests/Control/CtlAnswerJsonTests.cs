using MiniVmm.Control;
using MiniVmm.Control.Protocol;
using MiniVmm.UnitTests.VirtioNet;
using MiniVmm.Rss;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.UnitTests.Control;

/// <summary>
/// The answers' JSON shapes, pinned as the literal lines docs/CONTROL.md documents (snake_case,
/// absent members left out, last_failure always present), and read back by the client.
/// </summary>
public sealed class CtlAnswerJsonTests
{
    private static string Line(ControlAnswer answer)
    {
        byte[] line = ControlRequestHandler.Encode(answer);
        Assert.Equal((byte)'\n', line[^1]);
        string text = System.Text.Encoding.UTF8.GetString(line, 0, line.Length - 1);
        Assert.DoesNotContain('\n', text);
        return text;
    }

    [Fact]
    public void An_error_answer_has_ok_false_and_the_code_and_message_only()
    {
        Assert.Equal("""{"ok":false,"error":{"code":"unknown-command","message":"it's \"frob\" + more"}}""",
            Line(ControlAnswer.Failed(ControlError.UnknownCommand, "it's \"frob\" + more")));
    }

    [Fact]
    public void Info_names_every_member_in_snake_case_and_writes_a_null_last_failure()
    {
        var answer = new ControlAnswer
        {
            Ok = true,
            Info = new DeviceInfo
            {
                Name = "net0",
                Features = new FeaturesInfo(new FeatureBits("0x100400000", ["MQ", "VERSION_1"]), new FeatureBits("0x0", [])),
                Status = new DeviceStatusInfo { Active = false, NeedsReset = false },
                QueuePairs = new QueuePairsInfo(4, 1),
                Mac = "52:54:00:12:34:56",
                LinkUp = true,
                Steering = new SteeringInfo("software", "steering: software (requested software)"),
            },
        };
        Assert.Equal(
            """{"ok":true,"info":{"name":"net0","features":{"offered":{"hex":"0x100400000","names":["MQ","VERSION_1"]},"negotiated":{"hex":"0x0","names":[]}},"status":{"active":false,"needs_reset":false,"last_failure":null},"queue_pairs":{"max":4,"in_use":1},"mac":"52:54:00:12:34:56","link_up":true,"steering":{"backend":"software","reason":"steering: software (requested software)"}}}""",
            Line(answer));
    }

    [Fact]
    public void A_failure_has_its_queue_reason_and_detail()
    {
        var status = new DeviceStatusInfo { Active = false, NeedsReset = true, LastFailure = new FailureInfo(3, "ChainTooLong", "transmitq2: loop") };
        string line = Line(new ControlAnswer { Ok = true, Info = InfoWith(status) });
        Assert.Contains("\"status\":{\"active\":false,\"needs_reset\":true,\"last_failure\":{\"queue\":3,\"reason\":\"ChainTooLong\",\"detail\":\"transmitq2: loop\"}}", line);
        Assert.DoesNotContain("steering", line); // absent, not null, when the back end has none
    }

    [Fact]
    public void Rss_off_has_only_mode_generation_and_pairs()
    {
        Assert.Equal("""{"ok":true,"rss":{"mode":"off","generation":0,"pairs_in_use":1}}""",
            Line(new ControlAnswer { Ok = true, Rss = NetDeviceReports.Rss(Started().Device) }));
    }

    [Fact]
    public void Rss_config_has_key_table_types_unclassified_and_max_tx_vq()
    {
        NetTestRig rig = Started();
        // TCPv4 | UDPv6 | IP_EX, a 4-entry table, unclassified queue 2, max_tx_vq 4, a 3-byte key.
        Assert.Equal(0, ControlQueueTests.SendRss(rig, 0x62, 3, [0, 3, 1, 2], 2, 4, [0x6d, 0x5a, 0x0e]));
        Assert.Equal(
            """{"ok":true,"rss":{"mode":"rss","generation":1,"pairs_in_use":4,"hash_types":["TCPv4","UDPv6","IP_EX"],"hash_types_hex":"0x62","key":"6d5a0e","indirection_table":[0,3,1,2],"unclassified_queue":2,"max_tx_vq":4}}""",
            Line(new ControlAnswer { Ok = true, Rss = NetDeviceReports.Rss(rig.Device) }));
    }

    [Fact]
    public void Hash_config_has_types_and_key_but_no_table()
    {
        NetTestRig rig = Started();
        Assert.Equal(0, ControlQueueTests.SendHash(rig, 0x1, [0xab]));
        Assert.Equal("""{"ok":true,"rss":{"mode":"hash","generation":1,"pairs_in_use":1,"hash_types":["IPv4"],"hash_types_hex":"0x1","key":"ab"}}""",
            Line(new ControlAnswer { Ok = true, Rss = NetDeviceReports.Rss(rig.Device) }));
    }

    [Fact]
    public void Counters_are_per_pair_with_drops_by_reason()
    {
        var rx = new RxCountersInfo { Packets = 10, Bytes = 1500, Notifications = 2, Dropped = 3, Drops = new RxDropsInfo(1, 0, 2), BackendErrors = 5, HashReportsRejected = 6 };
        var tx = new TxCountersInfo { Packets = 7, Bytes = 700, Notifications = 1, Dropped = 1, Drops = new TxDropsInfo(0, 1, 0) };
        Assert.Equal(
            """{"ok":true,"counters":{"pairs":[{"pair":0,"rx":{"packets":10,"bytes":1500,"notifications":2,"dropped":3,"drops":{"never_fits":1,"offloads":0,"backend":2},"backend_errors":5,"hash_reports_rejected":6},"tx":{"packets":7,"bytes":700,"notifications":1,"dropped":1,"drops":{"oversized":0,"offloads":1,"backend":0}}}]}}""",
            Line(new ControlAnswer { Ok = true, Counters = new CountersInfo([new PairCountersInfo(0, rx, tx)]) }));
    }

    [Fact]
    public void Link_says_the_status_and_whether_the_driver_was_notified()
    {
        Assert.Equal("""{"ok":true,"link":{"up":false,"notified":true}}""", Line(new ControlAnswer { Ok = true, Link = new LinkInfo(false, true) }));
    }

    [Fact]
    public void The_client_reads_back_what_the_server_writes()
    {
        var original = new ControlAnswer
        {
            Ok = true,
            Info = InfoWith(new DeviceStatusInfo { Active = true, NeedsReset = false, LastFailure = new FailureInfo(null, "WorkerFault", "net0-qp0: boom") }),
        };
        ControlAnswer read = ControlClient.ParseAnswer(Line(original), "test");
        Assert.True(read.Ok);
        Assert.Equal(original.Info!.Status, read.Info!.Status);
        Assert.Equal(original.Info.QueuePairs, read.Info.QueuePairs);
        Assert.Equal(["MQ"], read.Info.Features.Offered.Names);
        Assert.Null(read.Rss);
    }

    [Fact]
    public void The_client_refuses_a_line_that_is_not_an_answer()
    {
        Assert.Throws<ControlSocketException>(() => ControlClient.ParseAnswer("{\"ok\":", "test"));
        Assert.Throws<ControlSocketException>(() => ControlClient.ParseAnswer("null", "test"));
    }

    [Fact]
    public void Feature_and_hash_type_names_are_the_specs()
    {
        ulong features = VirtioFeature.Bit(VirtioFeature.Version1) | VirtioFeature.Bit(VirtioNetFeature.Rss) | VirtioFeature.Bit(VirtioNetFeature.HashReport)
            | VirtioFeature.Bit(VirtioNetFeature.Mac) | VirtioFeature.Bit(45);
        Assert.Equal(["MAC", "VERSION_1", "bit 45", "HASH_REPORT", "RSS"], VirtioNames.FeatureNames(features));
        Assert.Equal(["IPv4", "TCPv4", "UDPv4", "IPv6", "TCPv6", "UDPv6", "IP_EX", "TCP_EX", "UDP_EX"], VirtioNames.HashTypeNames(VirtioNetHashTypes.All));
        Assert.Equal(["UDPv4", "bit 12"], VirtioNames.HashTypeNames(VirtioNetHashTypes.UdpV4 | (VirtioNetHashTypes)(1u << 12)));
    }

    private static DeviceInfo InfoWith(DeviceStatusInfo status) => new()
    {
        Name = "net0",
        Features = new FeaturesInfo(new FeatureBits("0x400000", ["MQ"]), new FeatureBits("0x0", [])),
        Status = status,
        QueuePairs = new QueuePairsInfo(2, 2),
        Mac = "52:54:00:00:00:01",
        LinkUp = false,
    };

    /// <summary>A 4-pair device the driver started with RSS and hash reporting, no configuration sent yet.</summary>
    private static NetTestRig Started()
    {
        var rig = new NetTestRig(new VirtioNetOptions { QueuePairs = 4 });
        rig.Start(NetTestRig.BaseFeatures(VirtioNetFeature.Rss, VirtioNetFeature.HashReport));
        return rig;
    }
}
