using MiniVmm.Control;
using MiniVmm.Control.Protocol;

namespace MiniVmm.IntegrationTests.Cli;

/// <summary>`minivmm ctl SOCKET ... --json` as the tests ask a running VMM or back end: one answer line, parsed, asserted ok.</summary>
internal static class MinivmmCtl
{
    public static ControlAnswer Ask(string socket, params string[] args)
    {
        var r = MinivmmProcess.Run(["ctl", socket, .. args, "--json"]);
        Assert.True(r.ExitCode == 0, r.ToString());
        ControlAnswer answer = ControlClient.ParseAnswer(Assert.Single(r.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)), socket);
        Assert.True(answer.Ok, r.Stdout);
        return answer;
    }
}
