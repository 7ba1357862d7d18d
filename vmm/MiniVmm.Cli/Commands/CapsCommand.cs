using MiniVmm.Cli.Caps;
using MiniVmm.Cli.CommandLine;

namespace MiniVmm.Cli.Commands;

/// <summary>minivmm caps [--json]: what this host offers MiniVmm.</summary>
public static class CapsCommand
{
    /// <summary>The probes, one section each, in output order. Adding a section is one line here.</summary>
    public static readonly Func<CapsSection>[] Probes =
    [
        KvmCapsProbe.Probe,
        GuestExecutionProbe.Probe,
        TapCapsProbe.Probe,
        SteeringCapsProbe.Probe,
        VhostNetCapsProbe.Probe,
    ];

    public static DocumentedCommand Create(CliConsole console)
    {
        var json = Declare.Flag("--json", "print one JSON object, a member per section", "-j");
        var command = new DocumentedCommand("caps", "what this host offers: KVM capabilities, PVM, TAP multiqueue, steering probes, vhost-net",
            [
                "minivmm caps",
                "minivmm caps --json | jq .steering.auto_backend",
            ],
            """
            Reports the KVM API version and the capabilities MiniVmm uses, whether ring-0 guest code is
            emulated (PVM), TAP multiqueue support, the steering probes with the back end
            `--steering auto` would pick and why, and whether /dev/vhost-net opens (the errno when
            not) with the data path `--net tap=...,vhost=auto` would take.
            """) { json };
        command.SetAction(parse =>
        {
            CapsSection[] sections = Probes.Select(probe => probe()).ToArray();
            console.Out.Write(parse.GetValue(json) ? CapsWriter.Json(sections) : CapsWriter.Text(sections));
            return ExitCodes.Success;
        });
        return command;
    }
}
