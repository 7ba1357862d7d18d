using System.Diagnostics;
using System.Text.RegularExpressions;
using MiniVmm.Control;
using MiniVmm.Control.Protocol;
using MiniVmm.HostNet;
using MiniVmm.IntegrationTests.EndToEnd;
using MiniVmm.IntegrationTests.HostNet;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Native.Unix;

namespace MiniVmm.IntegrationTests.Cli;

/// <summary>
/// The two-process split asked with `minivmm ctl`: `vhost-user-net --api-socket` reports the RSS
/// configuration the probe set through its control queue (which the back end serves) and the
/// frames it got per queue, and a link flap at the back end travels the slave channel
/// (CONFIG_CHANGE_MSG) to our front end, which re-reads the config and notifies the guest.
/// </summary>
[Collection(EndToEndCollection.Name)]
public sealed partial class VhostUserCtlTests
{
    private static readonly TimeSpan Boot = TimeSpan.FromSeconds(60), Step = TimeSpan.FromSeconds(30);
    private const string Key = "00112233445566778899aabbccddeeff0123456789abcdeffedcba9876543210a0a1a2a3a4a5a6a7"; // 40 bytes
    private const string Table = "1,0,3,2,1,0,3,2";
    private const int Frames = 12;

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap | HostNeeds.Bpf)]
    public void The_back_ends_ctl_sees_the_guests_rss_and_its_link_flap_reaches_the_guest_through_the_front_end()
    {
        string tap = TapTestKit.UniqueName(), id = Guid.NewGuid().ToString("N")[..12];
        string vhost = Path.Combine(Path.GetTempPath(), $"mvt-{id}.sock"), api = Path.Combine(Path.GetTempPath(), $"mvt-{id}.ctl");
        CreateQuietTap(tap);
        try
        {
            using var backEnd = new RunningMinivmm("vhost-user-net", "--socket", vhost, "--net", $"tap={tap},queues=4", "--api-socket", api);
            backEnd.WaitForLogLine(l => l.Contains("listening on", StringComparison.Ordinal), Step, "the back end listening");
            using var vm = new RunningMinivmm("run", "--kernel", SteerTestFixture.ProbePath, "--memory", "256M", "--net", $"vhost-user={vhost}",
                "--cmdline", $"pairs=4 key={Key} table={Table} types=0x3f expect={Frames} idle=5000 wait=30000 links=2 exit=0");
            vm.WaitForLine(l => l.StartsWith("probe: ready", StringComparison.Ordinal), Boot, "probe: ready");

            // The RSS_CONFIG went through the rings to the back end: its control socket reports it.
            vm.WaitForLine(l => l.StartsWith("ctrl rss_config ", StringComparison.Ordinal), Step, "the probe's RSS_CONFIG");
            RssInfo rss = MinivmmCtl.Ask(api, "rss").Rss!;
            Assert.Equal(RssInfo.ModeRss, rss.Mode);
            Assert.Equal(Key, rss.Key);
            Assert.Equal(Table, string.Join(',', rss.IndirectionTable!));
            Assert.Equal(4, rss.PairsInUse);

            using (PacketInjector injector = PacketInjector.Open(tap))
            {
                for (uint n = 1; n <= Frames; n++) injector.Send(TapTestKit.UdpFrame(n, sourcePort: (ushort)(2000 + 11 * n)));
            }
            vm.WaitForLine(l => l.StartsWith("probe: link watch ", StringComparison.Ordinal), Step, "the probe's link watch");
            int[] perQueue = new int[4];
            foreach (string l in vm.Stdout) if (RxLine().Match(l) is { Success: true } m) perQueue[int.Parse(m.Groups["q"].Value)]++;
            Assert.Equal(Frames, perQueue.Sum());
            CountersInfo counters = MinivmmCtl.Ask(api, "counters").Counters!;
            Assert.Equal(perQueue.Select(c => (ulong)c), counters.Pairs.Select(p => p.Rx.Packets));

            Assert.Equal(new LinkInfo(false, true), MinivmmCtl.Ask(api, "link", "down").Link);
            vm.WaitForLine(l => l.StartsWith("link change=1 ", StringComparison.Ordinal), Step, "the first link change in the probe");
            Assert.Matches(@"^link change=1 isr=0x2 up=0 ", vm.Stdout.Single(l => l.StartsWith("link change=1 ", StringComparison.Ordinal)));
            Assert.Equal(new LinkInfo(true, true), MinivmmCtl.Ask(api, "link", "up").Link);
            vm.WaitForLine(l => l.StartsWith("link change=2 ", StringComparison.Ordinal), Step, "the second link change in the probe");
            Assert.Matches(@"^link change=2 isr=0x2 up=1 ", vm.Stdout.Single(l => l.StartsWith("link change=2 ", StringComparison.Ordinal)));

            Assert.Equal(1, vm.WaitForExit(Step)); // the probe's exit 0
            Process.Start("kill", ["-TERM", backEnd.Id.ToString()])!.WaitForExit();
            Assert.Equal(143, backEnd.WaitForExit(Step));
            Assert.Null(FileStatus.OfPath(api));
            Assert.Null(FileStatus.OfPath(vhost));
        }
        finally
        {
            File.Delete(vhost);
            File.Delete(api);
            Run("ip", "link", "del", tap);
        }
    }

    private static void CreateQuietTap(string name)
    {
        Run("ip", "tuntap", "add", "dev", name, "mode", "tap", "multi_queue");
        File.WriteAllText($"/proc/sys/net/ipv6/conf/{name}/disable_ipv6", "1");
    }

    private static void Run(string file, params string[] args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {string.Join(' ', args)}: {error}");
    }

    [GeneratedRegex(@"^rx q=(?<q>\d+) id=(?<id>-?\d+) len=(?<len>\d+) ")]
    private static partial Regex RxLine();
}
