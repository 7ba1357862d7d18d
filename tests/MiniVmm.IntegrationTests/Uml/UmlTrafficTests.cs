using System.Diagnostics;
using System.Text.Json;
using MiniVmm.Control.Protocol;
using MiniVmm.IntegrationTests.Cli;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Testing.Uml;
using Xunit.Abstractions;

namespace MiniVmm.IntegrationTests.Uml;

/// <summary>
/// Traffic a user would try (issue #9 item 5), with the real Linux 6.1 virtio_net driver in UML
/// against `minivmm vhost-user-net` as a process: the back end and its TAP live in a network
/// namespace the test creates, the TAP has the host's address there, and the guest pings it with
/// sizes up to 65000 bytes and runs iperf3 both ways against a server in that namespace. The same
/// boot then sees a link flap made with `minivmm ctl link down|up`, and a re-probe (rmmod + insmod
/// virtio_net) that the back end logs as a reset and a new activation, after which ping works
/// again. At the end nothing is left: no TAP, no socket file, no namespace.
/// </summary>
[Collection(EndToEnd.EndToEndCollection.Name)]
public sealed class UmlTrafficTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(60), Step = TimeSpan.FromSeconds(30);
    private const string HostAddress = "10.77.0.1", GuestAddress = "10.77.0.2";
    private static readonly int[] PingSizes = [56, 1472, 8000, 65000];

    // What the 6.1 driver accepts of what our device offers when the TAP does every offload
    // (TapNetBackend: NetOffloads.All). The names are the control socket's (docs/CONTROL.md).
    private static readonly string[] ExpectedFeatures = ["MRG_RXBUF", "CSUM", "GUEST_CSUM", "HOST_TSO4", "GUEST_TSO4", "HOST_TSO6", "GUEST_TSO6", "CTRL_VQ", "MQ", "VERSION_1"];

    [HostFact(HostNeeds.Tap | HostNeeds.Bpf | HostNeeds.Uml)]
    public void Ping_iperf3_link_flap_and_reprobe_work_through_the_back_end_and_nothing_is_left_behind()
    {
        const int Pairs = 2;
        string id = Guid.NewGuid().ToString("N")[..10];
        string tap = "mvt-ul" + id[..6], tmp = Path.GetTempPath();
        string vhost = Path.Combine(tmp, $"mvt-{id}.sock"), api = Path.Combine(tmp, $"mvt-{id}.ctl");
        string up = Path.Combine(tmp, $"mvt-{id}-up.json"), down = Path.Combine(tmp, $"mvt-{id}-down.json");
        string nsName;
        try
        {
            using (var ns = NetworkNamespace.Create())
            {
                nsName = ns.Name;
                using var backEnd = RunningMinivmm.InNamespace(ns, "vhost-user-net", "--socket", vhost, "--net", $"tap={tap},queues={Pairs}", "--api-socket", api);
                backEnd.WaitForLogLine(l => l.Contains("listening on", StringComparison.Ordinal), Step, "the back end listening");
                ns.Exec("ip", "addr", "add", $"{HostAddress}/24", "dev", tap);
                ns.Exec("ip", "link", "set", tap, "up");
                using Process iperfServer = Iperf3Server.Start(ns, HostAddress, Step);

                using (var guest = UmlGuest.Start(new UmlGuestOptions
                {
                    Script = Script(up, down),
                    KernelArguments = [$"virtio_uml.device={vhost}:1"],
                    Namespace = ns,
                }))
                {
                    guest.WaitForLine(@"^traffic: done$", Boot);
                    DeviceInfo info = MinivmmCtl.Ask(api, "info").Info!;
                    output.WriteLine($"negotiated {info.Features.Negotiated.Hex}: {string.Join(' ', info.Features.Negotiated.Names)}");
                    Assert.True(info.Status.Active, "the device is not active while the guest runs traffic");
                    Assert.All(ExpectedFeatures, f => Assert.Contains(f, info.Features.Negotiated.Names));

                    // Link flap from the back end: CONFIG_CHANGE_MSG on the slave channel, the driver
                    // re-reads the status field and sets the carrier, which the guest script prints.
                    guest.WaitForLine(@"^link: watching carrier=1$", Step);
                    Assert.Equal(new LinkInfo(false, true), MinivmmCtl.Ask(api, "link", "down").Link);
                    guest.WaitForLine(@"^link: carrier=0$", Step);
                    Assert.Equal(new LinkInfo(true, true), MinivmmCtl.Ask(api, "link", "up").Link);
                    guest.WaitForLine(@"^link: carrier=1$", Step);

                    int status = guest.WaitForExit(Boot);
                    output.WriteLine(string.Join('\n', guest.Lines.SkipWhile(l => l != "uml-init: ready")));
                    Assert.Equal(0, status);
                    foreach (int size in PingSizes)
                    {
                        Assert.Contains($"traffic: ping size={size} rc=0", guest.Lines);
                        // busybox prints the ICMP length (payload + 8) of each reply.
                        Assert.Contains(guest.Lines, l => l.StartsWith($"{size + 8} bytes from {HostAddress}: ", StringComparison.Ordinal));
                    }
                    Assert.Contains("link: ping after flap rc=0", guest.Lines);
                    Assert.Contains("reprobe: ping rc=0", guest.Lines);
                    // rc 0 means at least one reply: every ping of every round must have come back.
                    Assert.Equal(PingSizes.Length + 2, guest.Lines.Count(l => l == "3 packets transmitted, 3 packets received, 0% packet loss"));
                }

                (long upSent, long upReceived) = Iperf3Bytes(up, "guest->host");
                (long downSent, long downReceived) = Iperf3Bytes(down, "host->guest");
                Assert.True(upSent > 0 && upReceived > 0, $"guest->host: sent {upSent}, received {upReceived}");
                Assert.True(downSent > 0 && downReceived > 0, $"host->guest: sent {downSent}, received {downReceived}");

                // The bytes iperf3 counted went through this back end's queues (frame bytes, headers
                // included, so at least the TCP payload); counters survive the re-probe's reset.
                CountersInfo counters = MinivmmCtl.Ask(api, "counters").Counters!;
                ulong tx = (ulong)counters.Pairs.Sum(p => (long)p.Tx.Bytes), rx = (ulong)counters.Pairs.Sum(p => (long)p.Rx.Bytes);
                output.WriteLine($"back end counters: tx {tx} bytes, rx {rx} bytes; "
                    + string.Join(", ", counters.Pairs.Select(p => $"pair {p.Pair}: rx {p.Rx.Packets} packets {p.Rx.Dropped} dropped {p.Rx.Drops}, tx {p.Tx.Packets} packets {p.Tx.Dropped} dropped {p.Tx.Drops}")));
                // The TAP's own counters, for a run whose TCP retransmitted (host->guest usually does a
                // few): a drop in tun would show there (docs/BENCHMARKS.md, the UML section).
                output.WriteLine(ns.Exec("ip", "-s", "link", "show", tap));
                Assert.All(counters.Pairs, p => Assert.Equal((0UL, 0UL), (p.Rx.Dropped, p.Tx.Dropped)));
                Assert.True(tx >= (ulong)upReceived, $"the back end sent {tx} bytes to the TAP, iperf3 received {upReceived}");
                Assert.True(rx >= (ulong)downReceived, $"the back end delivered {rx} bytes to the guest, iperf3 received {downReceived}");

                // rmmod disables every ring (a reset), insmod activates again.
                List<string> lifecycle = [.. backEnd.Stderr.Where(l => l.Contains("vhost-user: activated", StringComparison.Ordinal) || l.Contains("vhost-user: reset", StringComparison.Ordinal))];
                output.WriteLine(string.Join('\n', lifecycle));
                Assert.True(lifecycle.Count >= 3, string.Join('\n', backEnd.Stderr));
                Assert.Contains("activated", lifecycle[0]);
                Assert.Contains("reset", lifecycle[1]);
                Assert.Contains("activated", lifecycle[2]);

                iperfServer.Kill();
                iperfServer.WaitForExit();
                Process.Start("kill", ["-TERM", backEnd.Id.ToString()])!.WaitForExit();
                Assert.Equal(143, backEnd.WaitForExit(Step)); // 128 + SIGTERM, the command's documented status
                Assert.False(File.Exists(vhost), "the vhost-user socket file was left behind");
                Assert.False(File.Exists(api), "the control socket file was left behind");
                Assert.DoesNotContain(tap, ns.Exec("ip", "-o", "link", "show"));
            }
            Assert.False(File.Exists(Path.Combine("/run/netns", nsName)), $"namespace {nsName} was not deleted");
        }
        finally
        {
            foreach (string f in new[] { vhost, api, up, down }) File.Delete(f);
        }
    }

    /// <summary>
    /// The guest's part: address eth0, ping the host end with each size, iperf3 both ways (JSON to
    /// files the test reads through the hostfs root), watch the carrier for one flap, ping again, re-probe.
    /// busybox ping: Debian's iputils ping is not installed; -A sends the next as soon as a reply came.
    /// </summary>
    private static string Script(string up, string down) => $"""
        ip addr add {GuestAddress}/24 dev eth0
        ip link set eth0 up
        for s in {string.Join(' ', PingSizes)}; do
          busybox ping -A -c 3 -W 5 -w 20 -s $s {HostAddress}
          echo "traffic: ping size=$s rc=$?"
        done
        iperf3 -c {HostAddress} -t 2 -J > {up}
        echo "traffic: iperf3 up rc=$?"
        iperf3 -c {HostAddress} -t 2 -R -J > {down}
        echo "traffic: iperf3 down rc=$?"
        echo "traffic: done"
        read c < /sys/class/net/eth0/carrier
        echo "link: watching carrier=$c"
        n=0; changes=0
        while [ $changes -lt 2 ] && [ $n -lt 3000 ]; do
          read now < /sys/class/net/eth0/carrier
          if [ "$now" != "$c" ]; then echo "link: carrier=$now"; c=$now; changes=$((changes + 1)); fi
          busybox usleep 10000
          n=$((n + 1))
        done
        busybox ping -A -c 3 -W 5 -w 20 -s 56 {HostAddress}
        echo "link: ping after flap rc=$?"
        rmmod virtio_net && insmod /usr/lib/uml/modules/$(uname -r)/kernel/drivers/net/virtio_net.ko && echo "reprobe: loaded"
        ip addr add {GuestAddress}/24 dev eth0
        ip link set eth0 up
        busybox ping -A -c 3 -W 5 -w 20 -s 1472 {HostAddress}
        echo "reprobe: ping rc=$?"
        """;

    /// <summary>end.sum_sent.bytes and end.sum_received.bytes of an iperf3 -J client report.</summary>
    private (long Sent, long Received) Iperf3Bytes(string path, string direction)
    {
        Assert.True(File.Exists(path), $"no iperf3 report at {path}");
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        JsonElement root = doc.RootElement;
        if (root.TryGetProperty("error", out JsonElement error)) Assert.Fail($"iperf3 {direction}: {error}");
        JsonElement end = root.GetProperty("end");
        JsonElement sent = end.GetProperty("sum_sent"), received = end.GetProperty("sum_received");
        output.WriteLine($"iperf3 {direction}: {received.GetProperty("bits_per_second").GetDouble() / 1e9:F2} Gbit/s, "
            + $"{received.GetProperty("bytes").GetInt64()} bytes, {(sent.TryGetProperty("retransmits", out JsonElement r) ? r.GetInt64() : -1)} retransmits");
        return (sent.GetProperty("bytes").GetInt64(), received.GetProperty("bytes").GetInt64());
    }
}
