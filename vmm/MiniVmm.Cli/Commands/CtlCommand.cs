using System.CommandLine;
using MiniVmm.Cli.CommandLine;
using MiniVmm.Cli.Output;
using MiniVmm.Control;
using MiniVmm.Control.Protocol;

namespace MiniVmm.Cli.Commands;

/// <summary>
/// minivmm ctl PATH info|counters|rss|link up|link down [--json]: the client of a running VM's
/// control socket (run --api-socket PATH; the protocol is in docs/CONTROL.md). Tables for people,
/// the server's JSON answer line for scripts.
/// </summary>
public static class CtlCommand
{
    public static DocumentedCommand Create(CliConsole console)
    {
        var path = new Argument<string>("path") { Description = "the VM's control socket (minivmm run --api-socket PATH)", HelpName = "PATH" };
        var json = Declare.Flag("--json", "print the server's answer as it came (one JSON object per line) instead of tables", "-j");
        json.Recursive = true;
        var command = new DocumentedCommand("ctl", "ask a running VM about its network card, or set the link the guest sees",
            [
                "minivmm ctl /run/vm0.sock info              # features, status, queue pairs, MAC, link, steering",
                "minivmm ctl /run/vm0.sock counters --json   # per queue pair: packets, bytes, drops, interrupts",
                "minivmm ctl /run/vm0.sock link down         # the guest sees the carrier go (configuration interrupt)",
            ],
            """
            Exit status: 0 when the VM answered, 1 when it answered with an error or not at all
            (within 5 s), 2 for bad input (a PATH that is not a socket, an unknown request).
            """) { path, json };
        command.Add(Request(console, path, json, "info", "negotiated features, device status and last failure, queue pairs, MAC, link, steering back end and why",
            _ => ControlRequest.Info, "minivmm ctl /run/vm0.sock info"));
        command.Add(Request(console, path, json, "counters", "per queue pair: RX/TX packets, bytes, drops by reason, notifications the driver asked for",
            _ => ControlRequest.Counters, "minivmm ctl /run/vm0.sock counters"));
        command.Add(Request(console, path, json, "rss", "the RSS or hash configuration the guest set: key, table, hash types, unclassified queue, max_tx_vq",
            _ => ControlRequest.Rss, "minivmm ctl /run/vm0.sock rss --json | jq .rss.indirection_table"));

        var state = new Argument<string>("state") { Description = "up or down", HelpName = "up|down" };
        state.CompletionSources.Add("up", "down");
        state.Validators.Add(result =>
        {
            string value = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (value is not ("up" or "down")) result.AddError($"ctl link {value}: the state is up or down");
        });
        DocumentedCommand link = Request(console, path, json, "link", "set the device's link status (VIRTIO_NET_S_LINK_UP); the guest gets a configuration change interrupt",
            parse => ControlRequest.Link(parse.GetValue(state) == "up"), "minivmm ctl /run/vm0.sock link up");
        link.Add(state);
        command.Add(link);
        // `minivmm ctl PATH` alone: say what may follow rather than System.CommandLine's "Required command was not provided".
        command.SetAction(_ => ExitCodes.Usage(console.Error, "ctl PATH needs a request: info, counters, rss, link up or link down (see: minivmm ctl --help)"));
        return command;
    }

    private static DocumentedCommand Request(CliConsole console, Argument<string> path, Option<bool> json, string name, string description,
        Func<ParseResult, ControlRequest> request, string example)
    {
        var command = new DocumentedCommand(name, description, [example]);
        command.SetAction(parse => Execute(console, parse.GetValue(path)!, request(parse), parse.GetValue(json)));
        return command;
    }

    private static int Execute(CliConsole console, string path, ControlRequest request, bool json)
    {
        string line;
        ControlAnswer answer;
        try
        {
            using ControlClient client = ControlClient.Connect(path);
            line = client.AskLine(request.ToJson());
            answer = ControlClient.ParseAnswer(line, path);
        }
        catch (ControlSocketException e)
        {
            console.Error.WriteLine($"minivmm ctl: {e.Message}");
            return e.IsUsageError ? ExitCodes.BadInput : ExitCodes.HostFailure;
        }
        if (json)
        {
            console.Out.WriteLine(line);
        }
        else if (answer.Ok)
        {
            CtlOutput.Write(console.Out, answer);
        }
        if (answer.Error is ControlError error)
        {
            console.Error.WriteLine($"minivmm ctl: the VM answered {error.Code}: {error.Message}");
            return ExitCodes.HostFailure;
        }
        return ExitCodes.Success;
    }
}
