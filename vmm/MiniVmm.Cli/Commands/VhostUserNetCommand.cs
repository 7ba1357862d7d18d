using System.CommandLine;
using MiniVmm.Cli.CommandLine;
using MiniVmm.Cli.Configuration;
using MiniVmm.Control;
using MiniVmm.HostNet;
using MiniVmm.HostNet.Steering;
using MiniVmm.HostNet.VhostUser;
using MiniVmm.Native;
using MiniVmm.Native.Signals;

namespace MiniVmm.Cli.Commands;

/// <summary>
/// minivmm vhost-user-net: the virtio-net device core as a vhost-user back end. It owns the TAP and the
/// steering back end; the front end (UML's virtio_uml, QEMU, our own `run --net vhost-user=`) owns
/// the guest and needs no network privilege. Serves one front end at a time, the next after EOF,
/// until SIGINT or SIGTERM.
/// </summary>
public static class VhostUserNetCommand
{
    private static readonly TextOption<string> Socket = new("socket", "PATH",
        "the Unix socket to listen on (created, removed at exit; must not exist yet)", ValidSocketPath, aliases: "-s");

    private static readonly TextOption<NetworkOptions> Net = new("net", "SPEC", NetOptionParser.Help.Replace("(default: one per vCPU)", "(default: 1)"), NetOptionParser.Parse);

    private static readonly TextOption<int> SocketMode = new("socket-mode", "MODE", "permissions of the socket file, in octal", ParseMode, "0600");

    private static readonly TextOption<string> ApiSocket = RunOptions.NewApiSocket();

    private static readonly Option<string> Config = new("--config")
    {
        Description = "JSON file with any of the settings above, e.g. {\"socket\": \"/run/mv.sock\", \"net\": \"tap=mv0,queues=4\"}; MINIVMM_<NAME> variables override it, options override both",
        HelpName = "FILE",
        Arity = ArgumentArity.ExactlyOne,
    };

    public static DocumentedCommand Create(CliConsole console)
    {
        var command = new DocumentedCommand("vhost-user-net", "serve the virtio-net device over vhost-user (UML, QEMU, minivmm run) on a TAP this process owns",
            [
                "minivmm vhost-user-net --socket /tmp/mv.sock --net tap=mv0,queues=4",
                "linux.uml ... virtio_uml.device=/tmp/mv.sock:1    # a Linux guest's virtio_net driver on it",
                "minivmm vhost-user-net -s /run/mv.sock --net tap=mv0,steering=software --socket-mode 0660",
                "minivmm vhost-user-net -s /tmp/mv.sock --net tap=mv0,queues=4 --api-socket /tmp/mv.ctl   # then: minivmm ctl /tmp/mv.ctl rss",
            ],
            """
            The back end owns the TAP and the BPF program; the front end needs no network privilege.
            It serves one front end at a time and waits for the next when one goes away. Every option
            is also a JSON key in --config FILE and a MINIVMM_<NAME> variable (file < environment <
            options). Logs one line per connection, activation and reset, and the steering line.
            --api-socket PATH answers JSON requests about the device (docs/CONTROL.md): its counters,
            the RSS configuration the guest set, and link up|down, which reaches the front end as a
            configuration change.
            Exit status: 128+signal when stopped by SIGINT/SIGTERM (nothing is left behind: no TAP
            it created, no BPF program, no socket file), 2 for bad input, 1 for host failures.
            """);
        TextOption[] settings = [Socket, Net, SocketMode, ApiSocket];
        foreach (TextOption setting in settings) command.Add(setting.Option);
        command.Add(Config);
        command.SetAction(parse =>
        {
            string path;
            NetworkOptions net;
            int mode;
            string? api;
            try
            {
                var layers = LayeredConfiguration.Build(parse, settings, Config);
                path = Socket.Read(layers) ?? throw new UsageException("no socket given: use --socket PATH");
                net = Net.Read(layers) ?? throw new UsageException("no network given: use --net tap=NAME[,...]");
                mode = SocketMode.Read(layers);
                api = ApiSocket.Read(layers);
            }
            catch (UsageException e)
            {
                return ExitCodes.Usage(console.Error, e.Message);
            }
            return Serve(path, net, mode, api, console);
        });
        return command;
    }

    private static int Serve(string path, NetworkOptions net, int mode, string? apiPath, CliConsole console)
    {
        using var signals = new TerminationSignals();
        // First, so a path that cannot be a socket fails before a TAP, a BPF program or a thread exists.
        ControlSocket? api = null;
        try
        {
            if (apiPath is not null) api = ControlSocket.Listen(apiPath);
        }
        catch (ControlSocketException e)
        {
            return ExitCodes.Usage(console.Error, e.Message);
        }
        using (api)
        {
            Action<string> log = line => console.Error.WriteLine($"minivmm: {line}");
            VhostUserNetServer server;
            try
            {
                server = VhostUserNetServer.Start(net, path, log, mode);
            }
            catch (Exception e) when (e is TapException or SteeringUnavailableException)
            {
                return ExitCodes.Usage(console.Error, e.Message);
            }
            catch (SyscallException e)
            {
                return ExitCodes.Usage(console.Error, $"--socket {path}: {e.Message}");
            }
            catch (Exception e)
            {
                return ExitCodes.Failure(console.Error, $"cannot start the back end: {e.Message}");
            }
            using (server)
            {
                try
                {
                    api?.Start(server.Runtime, log);
                    return 128 + signals.Wait();
                }
                finally
                {
                    api?.Dispose(); // before the device goes: no request meets a disposed runtime
                }
            }
        }
    }

    private static string ValidSocketPath(string path)
    {
        // sun_path holds 108 bytes with the NUL; UML splits virtio_uml.device at ':'.
        if (path.Length is 0 or > 107) throw new UsageException($"--socket {path}: a socket path is 1 to 107 bytes");
        if (File.Exists(path) || Directory.Exists(path)) throw new UsageException($"--socket {path}: already exists (remove it, or choose another path)");
        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null && !Directory.Exists(directory)) throw new UsageException($"--socket {path}: no directory {directory}");
        return path;
    }

    private static int ParseMode(string text)
    {
        if (text.Length is 0 or > 4 || text.Any(c => c is < '0' or > '7'))
        {
            throw new UsageException($"--socket-mode {text}: an octal permission like 0600 or 0660");
        }
        return Convert.ToInt32(text, 8);
    }
}
