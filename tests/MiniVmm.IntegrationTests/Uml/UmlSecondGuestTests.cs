using System.Diagnostics;
using System.Text.Json;
using MiniVmm.IntegrationTests.Cli;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Testing.Uml;
using Xunit.Abstractions;

namespace MiniVmm.IntegrationTests.Uml;

/// <summary>
/// One `minivmm vhost-user-net` (in a namespace the test creates), two UML guests one after the
/// other, as a user who reboots the guest would do: UML never reconnects, so the second boot is a
/// new connection, which the back end serves after the first one's EOF. The first guest carries
/// IPv6 (ping, iperf3 TCP both ways: the TSO6 path) and UDP (iperf3 -u); the second pings.
/// </summary>
[Collection(EndToEnd.EndToEndCollection.Name)]
public sealed class UmlSecondGuestTests(ITestOutputHelper output)
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(60), Step = TimeSpan.FromSeconds(30);
    private const string HostAddress = "10.77.2.1", GuestAddress = "10.77.2.2", HostAddress6 = "fd77:2::1", GuestAddress6 = "fd77:2::2";

    [HostFact(HostNeeds.Tap | HostNeeds.Bpf | HostNeeds.Uml)]
    public void A_second_guest_is_served_after_the_first_and_ipv6_and_udp_work()
    {
        string id = Guid.NewGuid().ToString("N")[..10];
        string tap = "mvt-us" + id[..6], tmp = Path.GetTempPath();
        string vhost = Path.Combine(tmp, $"mvt-{id}.sock");
        string up6 = Path.Combine(tmp, $"mvt-{id}-up6.json"), down6 = Path.Combine(tmp, $"mvt-{id}-down6.json"), udp = Path.Combine(tmp, $"mvt-{id}-udp.json");
        try
        {
            using var ns = NetworkNamespace.Create();
            using var backEnd = RunningMinivmm.InNamespace(ns, "vhost-user-net", "--socket", vhost, "--net", $"tap={tap}");
            backEnd.WaitForLogLine(l => l.Contains("listening on", StringComparison.Ordinal), Step, "the back end listening");
            ns.Exec("ip", "addr", "add", $"{HostAddress}/24", "dev", tap);
            ns.Exec("ip", "addr", "add", $"{HostAddress6}/64", "dev", tap, "nodad"); // nodad: usable at once, no 1 s of tentative address
            ns.Exec("ip", "link", "set", tap, "up");
            // -B :: would take both families; one server per family keeps each bound to the namespace's own address.
            using Process server4 = Iperf3Server.Start(ns, HostAddress, Step);
            using Process server6 = Iperf3Server.Start(ns, HostAddress6, Step, port: 5202);

            // Debian's UML has IPv6 as a module (ipv6.ko needs crc-ccitt.ko); the guest's init loads only the NIC's.
            string first = $"""
                m=/usr/lib/uml/modules/$(uname -r)/kernel
                insmod $m/lib/crc-ccitt.ko && insmod $m/net/ipv6/ipv6.ko || exit 4
                ip addr add {GuestAddress}/24 dev eth0
                ip addr add {GuestAddress6}/64 dev eth0 nodad
                ip link set eth0 up
                busybox ping -6 -A -c 3 -W 5 -w 20 -s 1452 {HostAddress6}
                echo "first: ping6 rc=$?"
                iperf3 -6 -c {HostAddress6} -p 5202 -t 1 -J > {up6}
                echo "first: iperf3 up6 rc=$?"
                iperf3 -6 -c {HostAddress6} -p 5202 -t 1 -R -J > {down6}
                echo "first: iperf3 down6 rc=$?"
                iperf3 -c {HostAddress} -u -b 200M -l 1400 -t 1 -J > {udp}
                echo "first: iperf3 udp rc=$?"
                """;
            using (var guest = UmlGuest.Start(new UmlGuestOptions { Script = first, KernelArguments = [$"virtio_uml.device={vhost}:1"], Namespace = ns }))
            {
                int status = guest.WaitForExit(Boot);
                output.WriteLine(string.Join('\n', guest.Lines.Where(l => l.StartsWith("first:", StringComparison.Ordinal) || l.Contains("packets transmitted"))));
                Assert.Equal(0, status);
                Assert.Contains("first: ping6 rc=0", guest.Lines);
                Assert.Contains("3 packets transmitted, 3 packets received, 0% packet loss", guest.Lines);
            }
            Assert.True(ReceivedBytes(up6, "sum_received") > 0, "IPv6 guest->host: iperf3 received nothing");
            Assert.True(ReceivedBytes(down6, "sum_received") > 0, "IPv6 host->guest: iperf3 received nothing");
            Assert.True(ReceivedBytes(udp, "sum_received") > 0, "UDP guest->host: iperf3 received nothing");

            // The first front end's EOF ends its session; the back end waits for the next one.
            backEnd.WaitForLogLine(l => l.Contains("vhost-user: connection 1 closed", StringComparison.Ordinal), Step, "the first connection closed");
            string second = $"""
                ip addr add {GuestAddress}/24 dev eth0
                ip link set eth0 up
                busybox ping -A -c 3 -W 5 -w 20 {HostAddress}
                echo "second: ping rc=$?"
                """;
            using (var guest = UmlGuest.Start(new UmlGuestOptions { Script = second, KernelArguments = [$"virtio_uml.device={vhost}:1"], Namespace = ns }))
            {
                Assert.Equal(0, guest.WaitForExit(Boot));
                Assert.Contains("second: ping rc=0", guest.Lines);
                Assert.Contains("3 packets transmitted, 3 packets received, 0% packet loss", guest.Lines);
            }
            Assert.Contains(backEnd.Stderr, l => l.Contains("vhost-user: connection 2 on", StringComparison.Ordinal));
            Assert.Equal(2, backEnd.Stderr.Count(l => l.Contains("vhost-user: activated", StringComparison.Ordinal)));

            server4.Kill();
            server6.Kill();
            Process.Start("kill", ["-TERM", backEnd.Id.ToString()])!.WaitForExit();
            Assert.Equal(143, backEnd.WaitForExit(Step));
            Assert.False(File.Exists(vhost), "the vhost-user socket file was left behind");
        }
        finally
        {
            foreach (string f in new[] { vhost, up6, down6, udp }) File.Delete(f);
        }
    }

    /// <summary>end.SUM.bytes of an iperf3 -J client report.</summary>
    private long ReceivedBytes(string path, string sum)
    {
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllText(path));
        if (doc.RootElement.TryGetProperty("error", out JsonElement error)) Assert.Fail($"{Path.GetFileName(path)}: {error}");
        JsonElement s = doc.RootElement.GetProperty("end").GetProperty(sum);
        output.WriteLine($"{Path.GetFileName(path)}: {s.GetProperty("bits_per_second").GetDouble() / 1e9:F2} Gbit/s, {s.GetProperty("bytes").GetInt64()} bytes"
            + (s.TryGetProperty("lost_packets", out JsonElement lost) ? $", {lost.GetInt64()} lost" : ""));
        return s.GetProperty("bytes").GetInt64();
    }
}
