using MiniVmm.Cli.Caps;

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
    ];

    public const string HelpText =
        """
        usage: minivmm caps [--json]

        Reports what this host offers: the KVM API version and the capabilities MiniVmm uses,
        whether ring-0 guest code is emulated (PVM), TAP multiqueue support, and the steering
        probes with the back end `--steering auto` would pick and why.
          --json    print one JSON object, a member per section

        """;

    public static int Execute(string[] args)
    {
        bool json = false;
        foreach (string arg in args)
        {
            if (arg is "--help" or "-h") { Console.Out.Write(HelpText); return ExitCodes.Success; }
            if (arg == "--json") json = true;
            else return ExitCodes.Usage(arg.StartsWith('-') ? $"unknown option {arg} (see: minivmm caps --help)" : $"unexpected argument '{arg}'");
        }
        CapsSection[] sections = Probes.Select(probe => probe()).ToArray();
        Console.Out.Write(json ? CapsWriter.Json(sections) : CapsWriter.Text(sections));
        return ExitCodes.Success;
    }
}
