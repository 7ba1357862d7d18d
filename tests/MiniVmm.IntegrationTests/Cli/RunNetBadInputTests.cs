using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.IntegrationTests.Kvm;

namespace MiniVmm.IntegrationTests.Cli;

/// <summary>
/// `minivmm run --net ...` with bad values: exit 2, exactly one "minivmm: ..." line on stderr naming
/// the problem, nothing on stdout, and no TAP left behind (/sys/class/net). The kernel is a valid
/// tiny guest that exits at once, so a value wrongly accepted shows up as a run, not a hang.
/// </summary>
public sealed class RunNetBadInputTests : IDisposable
{
    private readonly string _kernel = TinyGuestImage.WriteTemporary("", exitValue: 0);

    public void Dispose() => File.Delete(_kernel);

    private static string UniqueTap() => $"mvn{Random.Shared.Next(1_000_000, 9_999_999)}";

    private static void AssertBadInput(MinivmmProcess.Result r, string tap, params string[] fragments)
    {
        MiniVmm.IntegrationTests.HostNet.TapTestKit.AssertRemoved(tap);
        Assert.True(r.ExitCode == 2, $"expected exit 2 (bad input); {r}");
        Assert.True(r.Stdout.Length == 0, $"expected nothing on stdout; {r}");
        string line = Assert.Single(r.StderrLines);
        Assert.StartsWith("minivmm: ", line);
        foreach (string f in fragments) Assert.Contains(f, line);
    }

    [HostTheory(HostNeeds.Kvm | HostNeeds.Tap)]
    [InlineData("queues=0", "queues=0")]
    [InlineData("queues=17", "queues=17")]
    [InlineData("mac=52:54:00:12:34", "mac=52:54:00:12:34")]
    [InlineData("rss=maybe", "rss=maybe")]
    [InlineData("hash-report=2", "hash-report=2")]
    [InlineData("steering=fast", "steering=fast")]
    [InlineData("speed=10G", "speed=10G")]
    [InlineData("fds=3,4", "give one of tap=NAME, fds=LIST and vhost-user=PATH")]
    [InlineData("vhost=maybe", "vhost=maybe")]
    public void Bad_net_values(string extra, string named)
    {
        string tap = UniqueTap();
        AssertBadInput(MinivmmProcess.Run("run", "--kernel", _kernel, "--net", $"tap={tap},{extra}"), tap, named);
    }

    [HostTheory(HostNeeds.Kvm | HostNeeds.Tap)]
    [InlineData("fds=3,4,5,queues=2", "queues=2")]
    [InlineData("fds=1", "fds=1")]
    [InlineData("queues=2", "needs tap=NAME, fds=LIST or vhost-user=PATH")]
    [InlineData("tap=abcdefghijklmnop", "tap=abcdefghijklmnop")]
    [InlineData("fds=3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19", "17 fds")] // issue 8: more fds than queue pairs (16)
    public void Bad_net_specs_without_a_valid_tap(string spec, string named) =>
        AssertBadInput(MinivmmProcess.Run("run", "--kernel", _kernel, "--net", spec), "abcdefghijklmnop", named);

    /// <summary>An existing interface that is not a multiqueue TAP (loopback) is refused and stays as it was.</summary>
    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void An_interface_that_is_not_a_tap()
    {
        MinivmmProcess.Result r = MinivmmProcess.Run("run", "--kernel", _kernel, "--net", "tap=lo");
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains("tap=lo", Assert.Single(r.StderrLines));
        Assert.True(Directory.Exists("/sys/class/net/lo"));
    }

    /// <summary>fds that are not TAP queues (here: the ones the runtime itself has open) are refused, and not closed or kept.</summary>
    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void Fds_that_are_not_tap_queues() =>
        AssertBadInput(MinivmmProcess.Run("run", "--kernel", _kernel, "--net", "fds=3,4"), "none", "fd 3", "not an open TAP queue");

    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void Bad_net_value_from_the_json_config_file()
    {
        string tap = UniqueTap();
        string config = Path.GetTempFileName();
        try
        {
            File.WriteAllText(config, $$"""{"net": "tap={{tap}},queues=99"}""");
            AssertBadInput(MinivmmProcess.Run("run", "--kernel", _kernel, "--config", config), tap, "queues=99");
        }
        finally
        {
            File.Delete(config);
        }
    }

    /// <summary>
    /// docs/STEERING.md: "An explicit request that the host cannot serve is a usage error (exit 2)
    /// naming the probe that said no". This kernel has neither the tun hashing ioctls nor the kfuncs.
    /// </summary>
    [HostTheory(HostNeeds.Kvm | HostNeeds.Tap)]
    [InlineData("kernel", "TUNGETVNETHASHTYPES")]
    [InlineData("ebpf-kfuncs", "bpf_skb_set_vnet_hash")]
    public void Unavailable_steering_back_end(string steering, string probe)
    {
        string tap = UniqueTap();
        AssertBadInput(MinivmmProcess.Run("run", "--kernel", _kernel, "--net", $"tap={tap},steering={steering}"), tap, $"steering={steering}", probe);
    }

    /// <summary>A multicast or zero MAC is bad user input (VirtioNetOptions refuses it), not a host failure.</summary>
    [HostTheory(HostNeeds.Kvm | HostNeeds.Tap)]
    [InlineData("01:00:5e:00:00:01")]
    [InlineData("00:00:00:00:00:00")]
    public void Multicast_or_zero_mac(string mac)
    {
        string tap = UniqueTap();
        AssertBadInput(MinivmmProcess.Run("run", "--kernel", _kernel, "--net", $"tap={tap},mac={mac}"), tap, $"mac={mac}");
    }

    /// <summary>hash-report given twice must not silently pick the last.</summary>
    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void Hash_report_given_twice()
    {
        string tap = UniqueTap();
        AssertBadInput(MinivmmProcess.Run("run", "--kernel", _kernel, "--net", $"tap={tap},hash-report=on,hash-report=off"), tap, "given twice");
    }

    /// <summary>
    /// vhost=on that cannot be honoured is bad input, on any host: without /dev/vhost-net (these
    /// machines) the line names the open's errno; with it, the default hash-report=on is what a
    /// mainline kernel's data path cannot serve. Either way one line, exit 2, the TAP removed.
    /// </summary>
    [HostFact(HostNeeds.Kvm | HostNeeds.Tap)]
    public void Vhost_on_that_cannot_be_honoured()
    {
        string tap = UniqueTap();
        MinivmmProcess.Result r = MinivmmProcess.Run("run", "--kernel", _kernel, "--net", $"tap={tap},vhost=on");
        AssertBadInput(r, tap, "vhost=on: ");
        string line = r.StderrLines[0];
        if (!File.Exists("/dev/vhost-net")) Assert.Contains("vhost=on: vhost-net: no (open /dev/vhost-net: ENOENT (2)", line);
        else Assert.Contains("hash-report=off, or vhost=auto", line);
    }
}
