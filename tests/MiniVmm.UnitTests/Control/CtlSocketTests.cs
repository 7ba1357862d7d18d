using System.Text;
using MiniVmm.Control;
using MiniVmm.Control.Protocol;
using MiniVmm.HostNet.Steering;
using MiniVmm.Memory;
using MiniVmm.Native.Unix;
using MiniVmm.Testing.VhostUser;
using MiniVmm.Virtio;
using MiniVmm.Virtio.Net;

namespace MiniVmm.UnitTests.Control;

/// <summary>
/// The control socket over a running device (the runtime with its real workers, fake RAM and a fake
/// back end): answers reflect what the driver did, link changes reach the driver as a configuration
/// interrupt, and no client (malformed, silent, greedy, vanishing, one too many) breaks the server.
/// </summary>
public sealed class CtlSocketTests : IDisposable
{
    // VERSION_1, MAC, STATUS, CTRL_VQ, MQ: what the probe negotiates without RSS and hash reporting.
    private static readonly ulong Features = NetTestRig.BaseFeatures();
    private static readonly TimeSpan Answer = TimeSpan.FromSeconds(5);

    private readonly string _path = Path.Combine(Path.GetTempPath(), $"mv-ctl-{Guid.NewGuid():N}.sock");
    private readonly RuntimeTestRig _rig;
    private readonly ControlSocket _socket;
    private readonly List<string> _log = [];

    public CtlSocketTests()
    {
        var backend = new FakeNetBackend(2) { Choice = new SteeringChoice(SteeringBackendKind.Software, "steering: software (requested software)") };
        _rig = new RuntimeTestRig(backend, new VirtioNetOptions { QueuePairs = 2 });
        _socket = ControlSocket.Listen(_path);
        _socket.Start(_rig.Runtime, line => { lock (_log) _log.Add(line); });
    }

    public void Dispose()
    {
        _socket.Dispose();
        _rig.Dispose();
        File.Delete(_path);
    }

    private ControlAnswer Ask(ControlRequest request)
    {
        using ControlClient client = ControlClient.Connect(_path);
        ControlAnswer answer = client.Ask(request, Answer);
        Assert.True(answer.Ok, answer.Error?.Message);
        return answer;
    }

    [Fact]
    public void Info_reports_what_the_driver_negotiated_and_what_the_back_end_chose()
    {
        DeviceInfo before = Ask(ControlRequest.Info).Info!;
        Assert.False(before.Status.Active);
        Assert.Equal("0x0", before.Features.Negotiated.Hex);

        _rig.Start(Features);
        DeviceInfo info = Ask(ControlRequest.Info).Info!;
        Assert.Equal("test0", info.Name);
        Assert.Equal("0x100430020", info.Features.Negotiated.Hex);
        Assert.Equal(["MAC", "STATUS", "CTRL_VQ", "MQ", "VERSION_1"], info.Features.Negotiated.Names);
        Assert.Contains("RSS", info.Features.Offered.Names);
        Assert.Equal(new DeviceStatusInfo { Active = true, NeedsReset = false }, info.Status);
        Assert.Equal(new QueuePairsInfo(2, 1), info.QueuePairs); // after activation only receiveq1 (§5.1.6.5.5)
        Assert.Equal("52:54:00:12:34:56", info.Mac);
        Assert.True(info.LinkUp);
        Assert.Equal(new SteeringInfo("software", "steering: software (requested software)"), info.Steering);

        Assert.Equal(0, _rig.SendControl(VirtioNetCommands.PairsSet(2)));
        Assert.Equal(2, Ask(ControlRequest.Info).Info!.QueuePairs.InUse);
    }

    [Fact]
    public void Rss_reports_the_configuration_the_driver_set()
    {
        Assert.Equal(RssInfo.ModeOff, Ask(ControlRequest.Rss).Rss!.Mode);
        _rig.Start(Features | NetTestRig.Bit(VirtioNetFeature.Rss));
        byte[] key = Enumerable.Range(0, 40).Select(i => (byte)(0xA0 + i)).ToArray();
        Assert.Equal(0, _rig.SendControl(VirtioNetCommands.RssConfig(0x15, [1, 0, 1, 1], unclassified: 1, maxTxVq: 2, key)));

        RssInfo rss = Ask(ControlRequest.Rss).Rss!;
        Assert.Equal(RssInfo.ModeRss, rss.Mode);
        Assert.Equal(["IPv4", "UDPv4", "TCPv6"], rss.HashTypes); // 0x15: bits 0, 2, 4
        Assert.Equal("0x15", rss.HashTypesHex);
        Assert.Equal("a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0c1c2c3c4c5c6c7", rss.Key);
        Assert.Equal([1, 0, 1, 1], rss.IndirectionTable!);
        Assert.Equal((ushort)1, rss.UnclassifiedQueue);
        Assert.Equal((ushort)2, rss.MaxTxVq);
        Assert.Equal(2, rss.PairsInUse);
        Assert.Equal(1, rss.Generation);
    }

    [Fact]
    public void Counters_count_what_each_pair_received_and_sent()
    {
        _rig.Start(Features);
        Assert.Equal(0, _rig.SendControl(VirtioNetCommands.PairsSet(2)));
        _rig.Rx(1).AddChain((_rig.Driver.Allocate(2048), 2048, true));
        _rig.Rx(1).AddChain((_rig.Driver.Allocate(2048), 2048, true));
        _rig.Driver.Notify(2);
        _rig.Backend.Ports[1].Inject(new byte[60]);
        _rig.Backend.Ports[1].Inject(new byte[90]);
        _rig.Tx(0).AddChain((_rig.Driver.Allocate(12 + 100), 12 + 100, false)); // virtio_net_hdr_v1 + a 100-byte frame
        _rig.Driver.Notify(1);
        Assert.True(RuntimeTestRig.WaitFor(() => _rig.Rx(1).UsedIdx == 2 && _rig.Tx(0).UsedIdx == 1), "the workers did not move the packets");
        // A worker counts a notification, then signals it: wait until the last signal is out.
        Assert.True(RuntimeTestRig.WaitFor(() => _rig.Msi.Count(1) == 1 && (ulong)_rig.Msi.Count(2) == _rig.Device.Pairs[1].Counters.RxNotifications),
            "the notifications were not signalled");

        CountersInfo counters = Ask(ControlRequest.Counters).Counters!;
        Assert.Equal([0, 1], counters.Pairs.Select(p => p.Pair));
        PairCountersInfo p0 = counters.Pairs[0], p1 = counters.Pairs[1];
        Assert.Equal((0UL, 0UL, 1UL, 100UL), (p0.Rx.Packets, p0.Rx.Bytes, p0.Tx.Packets, p0.Tx.Bytes));
        Assert.Equal((2UL, 150UL, 0UL, 0UL), (p1.Rx.Packets, p1.Rx.Bytes, p1.Tx.Packets, p1.Tx.Bytes));
        Assert.Equal(0UL, p1.Rx.Dropped);
        // Notifications are the interrupts sent: what the (fake) MSI-X saw on each queue's vector (= its index here).
        Assert.Equal((ulong)_rig.Msi.Count(1), p0.Tx.Notifications);
        Assert.Equal(1UL, p0.Tx.Notifications);
        Assert.InRange(p1.Rx.Notifications, 1UL, 2UL); // one per batch: the two frames may come in one
        Assert.Equal((ulong)_rig.Msi.Count(2), p1.Rx.Notifications);

        // A frame with a partial checksum the driver did not negotiate is dropped, under its reason (§5.1.6.4.1).
        _rig.Backend.Ports[1].Inject(new byte[60], flags: 1);
        Assert.True(RuntimeTestRig.WaitFor(() => _rig.Device.Pairs[1].Counters.RxDroppedOffloads == 1), "not dropped");
        p1 = Ask(ControlRequest.Counters).Counters!.Pairs[1];
        Assert.Equal((1UL, new RxDropsInfo(0, 1, 0), 2UL), (p1.Rx.Dropped, p1.Rx.Drops, p1.Rx.Packets));
    }

    [Fact]
    public void Link_down_and_up_change_the_status_the_driver_reads_and_raise_the_configuration_vector()
    {
        Assert.False(Ask(ControlRequest.Link(false)).Link!.Notified); // no driver yet: nothing to notify
        Assert.True(Ask(ControlRequest.Link(true)).Link!.Up);
        _rig.Start(Features);
        int configVector = _rig.Device.Queues.Count; // RuntimeTestRig.Start: config vector = number of queues
        int signalled = _rig.Msi.Count(configVector);
        _rig.Driver.ReadIsr(); // read to clear

        Assert.Equal(new LinkInfo(false, true), Ask(ControlRequest.Link(false)).Link);
        // §5.1.4: status bit 0 is VIRTIO_NET_S_LINK_UP; §4.1.4.5: ISR bit 1 is a configuration change.
        Assert.Equal(0, StatusField());
        Assert.Equal(signalled + 1, _rig.Msi.Count(configVector));
        Assert.Equal(2, _rig.Driver.ReadIsr());
        Assert.False(Ask(ControlRequest.Info).Info!.LinkUp);

        Assert.Equal(new LinkInfo(true, true), Ask(ControlRequest.Link(true)).Link);
        Assert.Equal(1, StatusField());
        Assert.Equal(signalled + 2, _rig.Msi.Count(configVector));
        lock (_log) Assert.Equal(4, _log.Count(l => l.StartsWith("test0: link ", StringComparison.Ordinal))); // one line per request
    }

    [Fact]
    public void A_failure_shows_as_needs_reset_with_its_reason_which_stays_after_the_reset()
    {
        _rig.Start(Features);
        _rig.Tx(0).WriteDescriptor(0, 0x80000, 64, 1, 0); // a chain that loops (§2.7.5.3.1)
        _rig.Tx(0).Publish(0);
        _rig.Driver.Notify(1);
        Assert.True(RuntimeTestRig.WaitFor(() => _rig.NeedsReset), "not reported");

        DeviceStatusInfo failed = Ask(ControlRequest.Info).Info!.Status;
        Assert.False(failed.Active);
        Assert.True(failed.NeedsReset);
        Assert.Equal(1, failed.LastFailure!.Queue);
        Assert.Equal("ChainTooLong", failed.LastFailure.Reason);
        Assert.Contains("transmitq1", failed.LastFailure.Detail);

        _rig.Start(Features); // the driver resets and starts again
        DeviceStatusInfo recovered = Ask(ControlRequest.Info).Info!.Status;
        Assert.Equal((true, false), (recovered.Active, recovered.NeedsReset));
        Assert.Equal(failed.LastFailure, recovered.LastFailure);
    }

    [Fact]
    public void Malformed_requests_get_error_objects_and_the_connection_keeps_serving()
    {
        using ControlClient client = ControlClient.Connect(_path);
        Assert.Equal(ControlError.Malformed, Error(client.AskLine("hello")));
        Assert.Equal(ControlError.Malformed, Error(client.AskLine("{\"command\":\"info\"")));
        Assert.Equal(ControlError.UnknownCommand, Error(client.AskLine("{\"command\":\"reboot\"}")));
        Assert.Equal(ControlError.BadArgument, Error(client.AskLine("{\"command\":\"link\",\"state\":\"maybe\"}")));
        client.Send([0xFF, 0x00, 0xC3, (byte)'\n']);
        Assert.Equal(ControlError.Malformed, Error(client.ReadLine(Answer)!));
        client.Send("\n  \r\n{\"command\":\"rss\"}\r\n"u8); // blank lines get no answer; CRLF is accepted
        Assert.Contains("\"rss\":", client.ReadLine(Answer));
        Assert.True(client.Ask(ControlRequest.Info, Answer).Ok);
        Assert.Empty(_log); // a client's mistakes are answered, not logged
    }

    [Fact]
    public void A_line_too_long_gets_an_error_and_the_connection_is_closed()
    {
        using ControlClient client = ControlClient.Connect(_path);
        client.Send(Encoding.ASCII.GetBytes(new string('x', ControlRequestParser.MaxRequestBytes + 10)));
        Assert.Equal(ControlError.TooLong, Error(client.ReadLine(Answer)!));
        Assert.True(Closed(client), "the connection stayed open");
        Assert.True(Ask(ControlRequest.Info).Ok); // the server serves the next client
    }

    [Fact]
    public void A_half_line_from_a_client_that_vanishes_is_dropped_and_the_next_client_is_served()
    {
        using (ControlClient client = ControlClient.Connect(_path))
        {
            client.Send("{\"command\":"u8);
            Assert.True(RuntimeTestRig.WaitFor(() => _socket.ConnectedClients == 1), "not connected");
        }
        Assert.True(RuntimeTestRig.WaitFor(() => _socket.ConnectedClients == 0), "the connection was not closed");
        Assert.True(Ask(ControlRequest.Info).Ok);
        Assert.Empty(_log);
    }

    [Fact]
    public void A_client_silent_past_the_idle_timeout_gets_a_timeout_error_and_is_closed()
    {
        string path = _path + ".idle";
        using ControlSocket quick = ControlSocket.Listen(path, idleTimeout: TimeSpan.FromMilliseconds(300));
        quick.Start(_rig.Runtime, _ => { });
        using ControlClient client = ControlClient.Connect(path);
        Assert.True(client.Ask(ControlRequest.Info, Answer).Ok);
        client.Send("{\"comm"u8); // half a request, then nothing
        Assert.Equal(ControlError.Timeout, Error(client.ReadLine(Answer)!));
        Assert.True(Closed(client), "the connection stayed open");
    }

    [Fact]
    public void Clients_beyond_the_bound_get_busy_and_the_connected_ones_are_served()
    {
        var clients = Enumerable.Range(0, ControlSocket.MaxClients).Select(_ => ControlClient.Connect(_path)).ToList();
        try
        {
            foreach (ControlClient c in clients) Assert.True(c.Ask(ControlRequest.Info, Answer).Ok); // each has its slot
            using (ControlClient extra = ControlClient.Connect(_path))
            {
                Assert.Equal(ControlError.Busy, Error(extra.ReadLine(Answer)!));
                Assert.True(Closed(extra), "the extra connection stayed open");
            }
            Assert.True(clients[0].Ask(ControlRequest.Counters, Answer).Ok);
            clients[0].Dispose();
            Assert.True(RuntimeTestRig.WaitFor(() => _socket.ConnectedClients == ControlSocket.MaxClients - 1), "the slot was not freed");
            Assert.True(Ask(ControlRequest.Info).Ok);
        }
        finally
        {
            foreach (ControlClient c in clients) c.Dispose();
        }
    }

    [Fact]
    public void A_client_that_never_reads_its_answers_is_dropped_without_holding_up_others()
    {
        using ControlClient greedy = ControlClient.Connect(_path);
        byte[] requests = Encoding.ASCII.GetBytes(string.Concat(Enumerable.Repeat("{\"command\":\"info\"}\n", 20_000)));
        var flood = new Thread(() =>
        {
            try { greedy.Send(requests); }
            catch (ControlSocketException) { } // the server closed the connection: what this test waits for
        });
        flood.Start();
        Assert.True(Ask(ControlRequest.Info).Ok); // another client is served meanwhile
        Assert.True(flood.Join(TimeSpan.FromSeconds(30)), "the server never let go of the client that does not read");
        // The greedy client still holds its end open: the server is the one that closed the connection.
        Assert.True(RuntimeTestRig.WaitFor(() => _socket.ConnectedClients == 0), "the greedy connection is still open");
    }

    [Fact]
    public void The_socket_is_0600_and_dispose_joins_its_threads_and_removes_it()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(_path));
        using ControlClient idle = ControlClient.Connect(_path);
        Assert.True(idle.Ask(ControlRequest.Info, Answer).Ok);
        Assert.True(ProcessResources.ThreadsNamed("api-") >= 2); // accept + this client

        _socket.Dispose();
        Assert.Null(FileStatus.OfPath(_path));
        Assert.Equal(0, ProcessResources.WaitForNoThreadsNamed("api-", TimeSpan.FromSeconds(5)));
        Assert.True(Closed(idle), "the client was not disconnected");
        Assert.Throws<ControlSocketException>(() => ControlClient.Connect(_path));
    }

    private int StatusField()
    {
        Span<byte> status = stackalloc byte[2];
        _rig.Driver.ReadDeviceConfig(6, status);
        return status[0] | status[1] << 8;
    }

    private static string Error(string line)
    {
        ControlAnswer answer = ControlClient.ParseAnswer(line, "test");
        Assert.False(answer.Ok);
        return answer.Error!.Code;
    }

    /// <summary>True when the server has closed the connection: end of stream, or a reset because it closed with bytes unread.</summary>
    private static bool Closed(ControlClient client)
    {
        try
        {
            return client.ReadLine(Answer) is null;
        }
        catch (ControlSocketException e)
        {
            return e.Message.Contains("ECONNRESET");
        }
    }
}
