using MiniVmm.IntegrationTests.EndToEnd;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Testing.VhostUser;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.IntegrationTests.Cli;

/// <summary>
/// `minivmm run --net vhost-user=` (the native binary) against a back end that misbehaves: one that
/// fails the negotiation is bad input (one line, exit 2, before the guest runs); one that hangs up
/// in the middle of the device's set-up at the guest's DRIVER_OK takes the link down and, with no
/// reconnect=, ends the VM with one line naming the back end (exit 1), without hanging.
/// </summary>
public sealed class RunVhostUserHostileTests
{
    private static string SocketPath() => Path.Combine(Path.GetTempPath(), $"mvt-rh-{Guid.NewGuid():N}.sock");

    private static MinivmmProcess.Result RunProbe(string socket) => MinivmmProcess.Run(null, TimeSpan.FromSeconds(90),
        "run", "--kernel", SteerTestFixture.ProbePath, "--memory", "128M", "--net", $"vhost-user={socket}",
        "--cmdline", "pairs=2 expect=1 wait=20000 exit=0");

    [HostFact(HostNeeds.Kvm)]
    public void A_back_end_that_breaks_the_negotiation_is_one_line_and_exit_2()
    {
        string socket = SocketPath();
        using (ScriptedBackEnd.Start(socket, (h, _) => h.KnownRequest == VhostUserRequest.GetFeatures
            ? BackEndAnswer.Send(VhostUserEncoder.U64Reply(VhostUserRequest.GetQueueNum, 2))
            : null))
        {
            var r = RunProbe(socket);
            Assert.True(r.ExitCode == 2, r.ToString());
            string line = Assert.Single(r.StderrLines);
            Assert.Equal("minivmm: VHOST_USER_GET_FEATURES: the back end answered VHOST_USER_GET_QUEUE_NUM flags=0x5 size=8 instead", line);
            Assert.DoesNotContain("probe: hello", r.Stdout);
        }
        Assert.False(File.Exists(socket));
    }

    [HostFact(HostNeeds.Kvm)]
    public void A_back_end_that_hangs_up_during_the_set_up_ends_the_vm_with_one_line_naming_it()
    {
        string socket = SocketPath();
        using ScriptedBackEnd backEnd = ScriptedBackEnd.Start(socket, (h, _) => h.KnownRequest == VhostUserRequest.SetMemTable ? BackEndAnswer.Close : null);
        var r = RunProbe(socket);
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.True(r.Stdout.Contains("probe: device "), r.ToString()); // the guest got that far: the set-up is at its DRIVER_OK
        Assert.Contains(r.StderrLines, l => l.Contains("went away: link down", StringComparison.Ordinal));
        Assert.Equal($"minivmm: net0: the vhost-user back end went away (vhost-user {socket})", r.StderrLines[^1]);
    }
}
