using MiniVmm.Cli.SteerTest;
using MiniVmm.Cli.SteerTest.Linux;

namespace MiniVmm.UnitTests.SteerTest;

/// <summary>The Linux rig's guest script (ethtool's words) and its reading of the frame observer's lines.</summary>
public class LinuxGuestScriptTests
{
    [Fact]
    public void The_default_table_is_ethtools_equal_and_a_given_one_its_shares_as_weights()
    {
        Assert.Equal("equal 4", LinuxGuestScript.TableWords(null, 4));
        Assert.Equal("weight 1 3 0 0", LinuxGuestScript.TableWords([0, 1, 1, 1], 4));
        Assert.Equal("weight 2 0 2", LinuxGuestScript.TableWords([2, 0, 2, 0], 3));
    }

    [Fact]
    public void Keys_are_colon_separated_hex_bytes()
    {
        Assert.Equal("6d:5a:00:ff", LinuxGuestScript.HexKey([0x6d, 0x5a, 0x00, 0xff]));
    }

    [Fact]
    public void The_script_sets_queues_hashing_flow_fields_table_and_key_then_observes_each_phase()
    {
        var options = new SteerTestOptions { Queues = 2, HashReport = true, Table2 = [1, 1], Key2 = new byte[40] };
        string script = LinuxGuestScript.Build(options, "/x/frame-observer", 10, 20, 5000);
        string[] steps = [.. script.Split('\n').Where(l => l.StartsWith("step ", StringComparison.Ordinal))];
        Assert.Equal(
        [
            "step ip link set eth0 up",
            "step ethtool -K eth0 gro off",
            "step ethtool -L eth0 combined 2",
            "step ethtool -K eth0 rxhash on",
            "step ethtool -N eth0 rx-flow-hash tcp4 sdfn",
            "step ethtool -N eth0 rx-flow-hash udp4 sdfn",
            "step ethtool -N eth0 rx-flow-hash tcp6 sdfn",
            "step ethtool -N eth0 rx-flow-hash udp6 sdfn",
            "step ethtool -X eth0 equal 2 hkey 6d:5a:56:da:25:5b:0e:c2:41:67:25:3d:43:a3:8f:b0:d0:ca:2b:cb:ae:7b:30:b4:77:cb:2d:a3:80:30:f2:0c:6a:42:b7:3b:be:ac:01:fa",
            "step /x/frame-observer observe eth0 --frames 10 --timeout 5000 --idle 3000",
            "step ethtool -X eth0 weight 0 2 hkey " + string.Join(':', Enumerable.Repeat("00", 40)),
            "step /x/frame-observer observe eth0 --frames 20 --timeout 5000 --idle 3000",
        ], steps);
    }

    [Fact]
    public void Without_hash_report_rxhash_is_left_alone()
    {
        string script = LinuxGuestScript.Build(new SteerTestOptions { HashReport = false }, "obs", 1, 0, 1000);
        Assert.DoesNotContain("rxhash", script);
        Assert.Single(script.Split('\n'), l => l.Contains(" observe "));
    }

    [Fact]
    public void Observer_lines_give_queue_id_length_and_hash_and_the_guests_own_frames_are_skipped()
    {
        ProbeRxEvent? rx = ObserverLine.TryParse("obs q=1 qm=2 hash=0x3a1b2c4d len=66 type=1 eth=0x0800 ip=10.99.0.1>10.99.0.2 l4=17 ports=1000>2000 id=5");
        Assert.Equal(new ProbeRxEvent(1, 5, 66, 0x3a1b2c4d, -1), rx);
        Assert.Null(ObserverLine.TryParse("obs q=0 qm=1 hash=0x00000000 len=70 type=4 eth=0x86dd id=-1"));
        Assert.Null(ObserverLine.TryParse("obs ready if=eth0"));
        Assert.Equal(-1, ObserverLine.TryParse("obs q=0 qm=1 hash=0x00000000 len=42 type=1 eth=0x0806 id=-1")!.Value.FrameId);
    }
}
