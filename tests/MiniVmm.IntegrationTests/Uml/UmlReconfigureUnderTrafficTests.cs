using System.Diagnostics;
using System.Text.Json;
using MiniVmm.Control.Protocol;
using MiniVmm.IntegrationTests.Cli;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Testing.Uml;
using Xunit.Abstractions;

namespace MiniVmm.IntegrationTests.Uml;

/// <summary>
/// The real Linux 6.1 driver changing the device under it while iperf3 streams host->guest through
/// `minivmm vhost-user-net` (4 pairs, in a namespace the test creates): `ethtool -L` 4, 2, 1 and a
/// re-probe (rmmod + insmod virtio_net), each done once the guest has received more since the
/// last step (its rx_bytes counter, polled), so every change meets a busy device. Afterwards the
/// device must have failed nothing, dropped nothing, and carry ping and iperf3 again.
/// </summary>
[Collection(EndToEnd.EndToEndCollection.Name)]
public sealed class UmlReconfigureUnderTrafficTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(90), Step = TimeSpan.FromSeconds(30);
    private const string HostAddress = "10.77.3.1", GuestAddress = "10.77.3.2";
    private const int Pairs = 4;

    [HostFact(HostNeeds.Tap | HostNeeds.Bpf | HostNeeds.Uml)]
    public void Queue_count_changes_and_a_reprobe_during_traffic_leave_the_device_working()
    {
        string id = Guid.NewGuid().ToString("N")[..10];
        string tap = "mvt-ur" + id[..6], tmp = Path.GetTempPath();
        string vhost = Path.Combine(tmp, $"mvt-{id}.sock"), api = Path.Combine(tmp, $"mvt-{id}.ctl"), after = Path.Combine(tmp, $"mvt-{id}-after.json");
        string module = "/usr/lib/uml/modules/$(uname -r)/kernel/drivers/net/virtio_net.ko";
        try
        {
            using var ns = NetworkNamespace.Create();
            using var backEnd = RunningMinivmm.InNamespace(ns, "vhost-user-net", "--socket", vhost, "--net", $"tap={tap},queues={Pairs}", "--api-socket", api);
            backEnd.WaitForLogLine(l => l.Contains("listening on", StringComparison.Ordinal), Step, "the back end listening");
            ns.Exec("ip", "addr", "add", $"{HostAddress}/24", "dev", tap);
            ns.Exec("ip", "link", "set", tap, "up");
            using Process server = Iperf3Server.Start(ns, HostAddress, Step);
            // more N: wait (at most 20 s) until eth0 has received N more MB than at the last call;
            // `timeout` ends an iperf3 whose connection did not survive a step. The table shrinks
            // before the pairs do: the guest's ethtool core refuses fewer channels than a table set
            // with -X uses ("requested channel counts are too low for existing indirection table settings").
            string script = $$"""
                ip addr add {{GuestAddress}}/24 dev eth0
                ip link set eth0 up
                mark=0
                more() {
                  read now < /sys/class/net/eth0/statistics/rx_bytes
                  [ $mark -gt $now ] && mark=0
                  goal=$((mark + $1 * 1000000)); n=0
                  while [ $now -lt $goal ] && [ $n -lt 2000 ]; do busybox usleep 10000; read now < /sys/class/net/eth0/statistics/rx_bytes; n=$((n + 1)); done
                  mark=$now
                  [ $n -lt 2000 ] || echo "step: no traffic"
                }
                timeout 30 iperf3 -c {{HostAddress}} -t 6 -P 4 -R > /dev/null 2>&1 &
                more 20; ethtool -L eth0 combined 4 && ethtool -K eth0 rxhash on && ethtool -X eth0 equal 4; echo "step: L4 rc=$?"
                more 20; ethtool -X eth0 equal 2 && ethtool -L eth0 combined 2; echo "step: L2 rc=$?"
                more 20; ethtool -X eth0 equal 1 && ethtool -L eth0 combined 1; echo "step: L1 rc=$?"
                wait
                timeout 30 iperf3 -c {{HostAddress}} -t 4 -R > /dev/null 2>&1 &
                more 20; rmmod virtio_net && insmod {{module}}; echo "step: reprobe rc=$?"
                ip addr add {{GuestAddress}}/24 dev eth0
                ip link set eth0 up
                wait; echo "step: iperf3 across the reprobe rc=$?"
                busybox ping -A -c 3 -W 5 -w 20 -s 1472 {{HostAddress}}; echo "step: ping rc=$?"
                iperf3 -c {{HostAddress}} -t 1 -R -J > {{after}}; echo "step: iperf3 after rc=$?"
                """;
            using (var guest = UmlGuest.Start(new UmlGuestOptions { Script = script, KernelArguments = [$"virtio_uml.device={vhost}:1"], Namespace = ns }))
            {
                int status = guest.WaitForExit(Boot);
                output.WriteLine(string.Join('\n', guest.Lines.Where(l => l.StartsWith("step:", StringComparison.Ordinal) || l.Contains("packets transmitted"))));
                Assert.Equal(0, status);
                Assert.DoesNotContain("step: no traffic", guest.Lines);
                foreach (string step in new[] { "L4", "L2", "L1", "reprobe", "ping", "iperf3 after" }) Assert.Contains($"step: {step} rc=0", guest.Lines);
                Assert.Contains("3 packets transmitted, 3 packets received, 0% packet loss", guest.Lines);
            }
            using (JsonDocument doc = JsonDocument.Parse(File.ReadAllText(after)))
            {
                Assert.True(doc.RootElement.GetProperty("end").GetProperty("sum_received").GetProperty("bytes").GetInt64() > 0, "iperf3 after the re-probe received nothing");
            }

            DeviceInfo info = MinivmmCtl.Ask(api, "info").Info!;
            Assert.Null(info.Status.LastFailure);
            CountersInfo counters = MinivmmCtl.Ask(api, "counters").Counters!;
            output.WriteLine("rx packets per pair " + string.Join('/', counters.Pairs.Select(p => p.Rx.Packets)));
            Assert.All(counters.Pairs, p => Assert.Equal((0UL, 0UL, 0UL), (p.Rx.Dropped, p.Tx.Dropped, p.Rx.BackendErrors)));
            Assert.DoesNotContain(backEnd.Stderr, l => l.Contains("failed", StringComparison.Ordinal) || l.Contains("refused", StringComparison.Ordinal));
            Assert.Equal(2, backEnd.Stderr.Count(l => l.Contains("vhost-user: activated", StringComparison.Ordinal)));

            server.Kill();
            Process.Start("kill", ["-TERM", backEnd.Id.ToString()])!.WaitForExit();
            Assert.Equal(143, backEnd.WaitForExit(Step));
        }
        finally
        {
            foreach (string f in new[] { vhost, api, after }) File.Delete(f);
        }
    }
}
