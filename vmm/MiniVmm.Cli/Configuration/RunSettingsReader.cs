using Microsoft.Extensions.Configuration;
using MiniVmm.Machine;
using MiniVmm.Machine.Boot;

namespace MiniVmm.Cli.Configuration;

/// <summary>
/// Reads <c>minivmm run</c>'s settings from, in increasing precedence: a JSON file (--config F or
/// MINIVMM_CONFIG), MINIVMM_* environment variables, command-line options; then validates all of
/// them before anything is created. Values are read with indexers (no reflection binding: NativeAOT).
/// </summary>
public static class RunSettingsReader
{
    public const string DefaultCommandLine = "console=ttyS0";

    /// <summary>Options that take a value; every setting is also a JSON key and a MINIVMM_ variable.</summary>
    public static readonly string[] ValueOptions = ["kernel", "initrd", "cmdline", "cpus", "memory", "config", "net"];

    /// <summary>Throws <see cref="UsageException"/> naming the first problem found.</summary>
    public static RunSettings Read(string[] args)
    {
        Dictionary<string, string> options = ParseOptions(args);
        IConfiguration config = Build(options);

        string kernel = Nonempty(config["kernel"]) ?? throw new UsageException("no kernel given: use --kernel FILE");
        try
        {
            KernelLoader.Inspect(kernel);
        }
        catch (BootImageException e)
        {
            throw new UsageException(e.Message);
        }

        string? initrd = Nonempty(config["initrd"]);
        if (initrd is not null)
        {
            try { KernelLoader.CheckInitrd(initrd); }
            catch (BootImageException e) { throw new UsageException(e.Message); }
        }

        int cpus = 1;
        string? cpuText = Nonempty(config["cpus"]);
        if (cpuText is not null && (!int.TryParse(cpuText, out cpus) || cpus < 1 || cpus > MachineOptions.MaxCpus))
            throw new UsageException($"--cpus {cpuText}: must be a whole number from 1 to {MachineOptions.MaxCpus}");

        ulong memory = MachineOptions.DefaultMemoryBytes;
        string? memoryText = Nonempty(config["memory"]);
        if (memoryText is not null)
        {
            if (!SizeParser.TryParse(memoryText, out memory))
                throw new UsageException($"--memory {memoryText}: not a size (examples: 512M, 2G, 262144K)");
            if (memory == 0) throw new UsageException($"--memory {memoryText}: must be more than 0");
            if (GuestRam.CheckHostAllows(memory) is string problem) throw new UsageException($"--memory {memoryText}: {problem}");
            if (memory % 4096 != 0) throw new UsageException($"--memory {memoryText}: must be a multiple of 4K");
        }

        string? netText = Nonempty(config["net"]);
        var net = netText is null ? null : NetOptionParser.Parse(netText);

        string debug = config["debug"] ?? "";
        return new RunSettings(kernel, initrd, config["cmdline"] ?? DefaultCommandLine, cpus, memory,
            debug is "1" || debug.Equals("true", StringComparison.OrdinalIgnoreCase), net);
    }

    /// <summary>Checks option names and shapes (--name VALUE or --name=VALUE); returns name -> value.</summary>
    public static Dictionary<string, string> ParseOptions(string[] args)
    {
        var options = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new UsageException($"unexpected argument '{arg}' (options look like --name VALUE)");
            string name = arg[2..];
            string? value = null;
            int eq = name.IndexOf('=');
            if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
            if (Array.IndexOf(ValueOptions, name.ToLowerInvariant()) < 0)
                throw new UsageException($"unknown option --{name} (see: minivmm run --help)");
            if (value is null)
            {
                if (i + 1 >= args.Length) throw new UsageException($"option --{name} needs a value");
                value = args[++i];
            }
            options[name.ToLowerInvariant()] = value;
        }
        return options;
    }

    private static IConfiguration Build(Dictionary<string, string> options)
    {
        string? configFile = options.GetValueOrDefault("config") ?? Nonempty(Environment.GetEnvironmentVariable("MINIVMM_CONFIG"));
        var builder = new ConfigurationBuilder();
        if (configFile is not null)
        {
            if (!File.Exists(configFile)) throw new UsageException($"config file {configFile}: no such file");
            builder.AddJsonFile(Path.GetFullPath(configFile), optional: false, reloadOnChange: false);
        }
        builder.AddEnvironmentVariables("MINIVMM_");
        // Already checked and normalised above, so the provider sees only --name=value pairs.
        builder.AddCommandLine(options.Select(kv => $"--{kv.Key}={kv.Value}").ToArray());
        try
        {
            return builder.Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw new UsageException($"config file {configFile}: not valid JSON ({FirstLine(e.Message)})");
        }
    }

    private static string? Nonempty(string? s) => string.IsNullOrEmpty(s) ? null : s;

    private static string FirstLine(string s) => s.Split('\n')[0].Trim();
}
