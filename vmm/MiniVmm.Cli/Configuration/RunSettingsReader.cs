using System.CommandLine;
using Microsoft.Extensions.Configuration;
using MiniVmm.Cli.CommandLine;
using MiniVmm.Machine.Boot;

namespace MiniVmm.Cli.Configuration;

/// <summary>
/// Reads <c>minivmm run</c>'s settings from its layers (<see cref="LayeredConfiguration"/>: JSON file
/// &lt; MINIVMM_* environment &lt; options given) and validates all of them before anything is created.
/// </summary>
public static class RunSettingsReader
{
    public const string DefaultCommandLine = RunOptions.DefaultCommandLine;

    /// <summary>Parses <paramref name="args"/> (what follows `run`) and reads the settings; throws <see cref="UsageException"/> naming the first problem.</summary>
    public static RunSettings Read(string[] args)
    {
        var options = new RunOptions();
        return Read(Parse(args, options), options);
    }

    /// <summary>Name -> text of the options given on the command line (the top layer), after checking their shapes.</summary>
    public static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new RunOptions();
        return LayeredConfiguration.GivenOnCommandLine(Parse(args, options), options.All);
    }

    /// <summary>The settings from a parse of the run command declared with <paramref name="options"/>.</summary>
    public static RunSettings Read(ParseResult parse, RunOptions options)
    {
        IConfiguration layers = LayeredConfiguration.Build(parse, options.All, options.Config);

        string kernel = options.Kernel.Read(layers) ?? throw new UsageException("no kernel given: use --kernel FILE");
        try
        {
            KernelLoader.Inspect(kernel);
        }
        catch (BootImageException e)
        {
            throw new UsageException(e.Message);
        }

        string? initrd = options.Initrd.Read(layers);
        if (initrd is not null)
        {
            try { KernelLoader.CheckInitrd(initrd); }
            catch (BootImageException e) { throw new UsageException(e.Message); }
        }

        int cpus = options.Cpus.Read(layers);
        ulong memory = options.Memory.Read(layers);
        var net = options.Net.Read(layers);
        string? apiSocket = options.ApiSocket.Read(layers);
        if (apiSocket is not null && net is null)
        {
            throw new UsageException($"--api-socket {apiSocket}: needs --net (the control socket reports on the network card)");
        }
        if (apiSocket is not null && net?.VhostUserPath is not null)
        {
            // The device's queues and steering live in the back end: its own --api-socket reports on them.
            throw new UsageException($"--api-socket {apiSocket}: not with --net vhost-user (give it to the back end: minivmm vhost-user-net --api-socket)");
        }
        string debug = layers["debug"] ?? ""; // MINIVMM_DEBUG only: not an option
        return new RunSettings(kernel, initrd, options.CommandLine.Read(layers)!, cpus, memory,
            debug is "1" || debug.Equals("true", StringComparison.OrdinalIgnoreCase), net, apiSocket);
    }

    private static ParseResult Parse(string[] args, RunOptions options)
    {
        var run = new Command("run");
        options.AddTo(run);
        ParseResult parse = new RootCommand { run }.Parse(["run", .. args], MinivmmCommandLine.Parser);
        if (parse.Errors.Count > 0) throw new UsageException(UsageErrorLine.For(parse));
        return parse;
    }
}
