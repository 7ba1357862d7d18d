using System.Diagnostics;
using System.Text.Json;
using MiniVmm.Control.Protocol;
using MiniVmm.IntegrationTests.Cli;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Testing.Uml;
using Xunit.Abstractions;

namespace MiniVmm.IntegrationTests.Uml;

/// <summary>
/// More of what a user would try with the real Linux 6.1 driver through `minivmm vhost-user-net`
/// (4 queue pairs, in a namespace the test creates): all 4 pairs (`ethtool -L`, RSS over them with
/// `ethtool -K rxhash on` and `-X equal 4`), a jumbo MTU on both ends (9000: the device offers no
/// VIRTIO_NET_F_MTU, so the driver allows it with mergeable buffers), ping with full-size jumbo
/// frames, and iperf3 with 8 streams both ways. The back end's counters must show the traffic
/// spread over more than one pair in each direction, and nothing dropped.
/// </summary>
[Collection(EndToEnd.EndToEndCollection.Name)]
public sealed class UmlMultiQueueTrafficTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(60), Step = TimeSpan.FromSeconds(30);
    private const string HostAddress = "10.77.1.1", GuestAddress = "10.77.1.2";
    private const int Pairs = 4, Mtu = 9000, Streams = 8;

    [HostFact(HostNeeds.Tap | HostNeeds.Bpf | HostNeeds.Uml)]
    public void Four_pairs_and_a_jumbo_mtu_carry_ping_and_iperf3_spread_over_the_pairs()
    {
        string id = Guid.NewGuid().ToString("N")[..10];
        string tap = "mvt-um" + id[..6], tmp = Path.GetTempPath();
        string vhost = Path.Combine(tmp, $"mvt-{id}.sock"), api = Path.Combine(tmp, $"mvt-{id}.ctl");
        string up = Path.Combine(tmp, $"mvt-{id}-up.json"), down = Path.Combine(tmp, $"mvt-{id}-down.json");
        try
        {
            using var ns = NetworkNamespace.Create();
            using var backEnd = RunningMinivmm.InNamespace(ns, "vhost-user-net", "--socket", vhost, "--net", $"tap={tap},queues={Pairs}", "--api-socket", api);
            backEnd.WaitForLogLine(l => l.Contains("listening on", StringComparison.Ordinal), Step, "the back end listening");
            ns.Exec("ip", "addr", "add", $"{HostAddress}/24", "dev", tap);
            ns.Exec("ip", "link", "set", tap, "mtu", $"{Mtu}", "up");
            using Process server = Iperf3Server.Start(ns, HostAddress, Step);
            // 8972 = 9000 - 20 (IPv4) - 8 (ICMP): one unfragmented jumbo frame each way.
            string script = $"""
                ethtool -L eth0 combined {Pairs} && ethtool -K eth0 rxhash on && ethtool -X eth0 equal {Pairs} || exit 3
                ip addr add {GuestAddress}/24 dev eth0
                ip link set eth0 mtu {Mtu} up
                for s in {Mtu - 28} 65000; do
                  busybox ping -A -c 3 -W 5 -w 20 -s $s {HostAddress}
                  echo "traffic: ping size=$s rc=$?"
                done
                iperf3 -c {HostAddress} -t 2 -P {Streams} -J > {up}
                echo "traffic: iperf3 up rc=$?"
                iperf3 -c {HostAddress} -t 2 -P {Streams} -R -J > {down}
                echo "traffic: iperf3 down rc=$?"
                """;
            using (var guest = UmlGuest.Start(new UmlGuestOptions { Script = script, KernelArguments = [$"virtio_uml.device={vhost}:1"], Namespace = ns }))
            {
                int status = guest.WaitForExit(Boot);
                output.WriteLine(string.Join('\n', guest.Lines.Where(l => l.Contains("traffic:") || l.Contains("bytes from") || l.Contains("packets transmitted"))));
                Assert.Equal(0, status);
                Assert.Contains($"traffic: ping size={Mtu - 28} rc=0", guest.Lines);
                Assert.Contains(guest.Lines, l => l.StartsWith($"{Mtu - 20} bytes from {HostAddress}: ", StringComparison.Ordinal));
                Assert.Contains("traffic: ping size=65000 rc=0", guest.Lines);
                Assert.Equal(2, guest.Lines.Count(l => l == "3 packets transmitted, 3 packets received, 0% packet loss"));
            }
            Assert.True(ReceivedBytes(up) > 0, "guest->host: iperf3 received nothing");
            Assert.True(ReceivedBytes(down) > 0, "host->guest: iperf3 received nothing");

            DeviceInfo info = MinivmmCtl.Ask(api, "info").Info!;
            CountersInfo counters = MinivmmCtl.Ask(api, "counters").Counters!;
            string rx = string.Join('/', counters.Pairs.Select(p => p.Rx.Packets)), tx = string.Join('/', counters.Pairs.Select(p => p.Tx.Packets));
            output.WriteLine($"pairs in use {info.QueuePairs.InUse}; packets per pair rx {rx}, tx {tx}");
            Assert.All(counters.Pairs, p => Assert.Equal((0UL, 0UL), (p.Rx.Dropped, p.Tx.Dropped)));
            // 8 streams over a 4-entry table (and XPS over 4 queues for TX): all on one pair only by
            // a 4 * 4^-8 chance per direction.
            Assert.True(counters.Pairs.Count(p => p.Rx.Packets > 100) >= 2, $"host->guest used one pair only: rx {rx}");
            Assert.True(counters.Pairs.Count(p => p.Tx.Packets > 100) >= 2, $"guest->host used one pair only: tx {tx}");

            server.Kill();
            server.WaitForExit();
            Process.Start("kill", ["-TERM", backEnd.Id.ToString()])!.WaitForExit();
            Assert.Equal(143, backEnd.WaitForExit(Step));
            Assert.DoesNotContain(tap, ns.Exec("ip", "-o", "link", "show"));
        }
        finally
        {
            foreach (string f in new[] { vhost, api, up, down }) File.Delete(f);
        }
    }

    private long ReceivedBytes(string path)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement received = doc.RootElement.GetProperty("end").GetProperty("sum_received");
        output.WriteLine($"{Path.GetFileName(path)}: {received.GetProperty("bits_per_second").GetDouble() / 1e9:F2} Gbit/s");
        return received.GetProperty("bytes").GetInt64();
    }
}
