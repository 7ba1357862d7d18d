using MiniVmm.HostNet;
using System.CommandLine;
using MiniVmm.Cli.CommandLine;
using MiniVmm.Machine;
using MiniVmm.Machine.Net;

namespace MiniVmm.Cli.Configuration;

/// <summary>
/// minivmm run's settings, each declared once: the option --NAME (with its help and default), the
/// JSON key NAME in --config FILE and the variable MINIVMM_NAME ('-' written '_'). A new setting is one property here
/// and one line in <see cref="All"/>.
/// </summary>
public sealed class RunOptions
{
    public const string DefaultCommandLine = "console=ttyS0";

    public TextOption<string> Kernel { get; } = new("kernel", "FILE", "guest kernel: an ELF vmlinux, a bzImage or the MiniVmm probe (required)", Text, aliases: "-k");

    public TextOption<string> Initrd { get; } = new("initrd", "FILE", "initial ramdisk", Text);

    public TextOption<string> CommandLine { get; } = new("cmdline", "TEXT", "kernel command line", Text, DefaultCommandLine);

    public TextOption<int> Cpus { get; } = new("cpus", "N", $"vCPUs, 1 to {MachineOptions.MaxCpus}",
        text => OptionValues.WholeNumber("--cpus", text, 1, MachineOptions.MaxCpus), "1");

    public TextOption<ulong> Memory { get; } = new("memory", "SIZE",
        "guest RAM: K, M or G suffix, a bare number is MiB; up to what the host has free (MemAvailable + SwapFree) and RLIMIT_AS/RLIMIT_DATA allow; the first 3G sit below 4 GiB, the rest from 4 GiB up",
        ParseMemory, "512M", aliases: "-m");

    public TextOption<NetworkOptions> Net { get; } = new("net", "SPEC", NetOptionParser.Help, NetOptionParser.Parse);

    public TextOption<string> ApiSocket { get; } = NewApiSocket();

    /// <summary>--api-socket, for each command that has a network card to report on (run, vhost-user-net).</summary>
    public static TextOption<string> NewApiSocket() => new("api-socket", "PATH",
        "answer JSON requests about the network card on this Unix socket (mode 0600, removed at exit; minivmm ctl is the client)", ParseSocketPath);

    /// <summary>The JSON file itself: from the command line or MINIVMM_CONFIG, not from a file.</summary>
    public Option<string> Config { get; } = new("--config")
    {
        Description = "JSON file with any of the settings above, e.g. {\"kernel\": \"vmlinux\", \"cpus\": 2}; MINIVMM_<NAME> variables override it, options override both",
        HelpName = "FILE",
        Arity = ArgumentArity.ExactlyOne,
    };

    public IReadOnlyList<TextOption> All => [Kernel, Initrd, CommandLine, Cpus, Memory, Net, ApiSocket];

    public void AddTo(Command command)
    {
        foreach (TextOption setting in All) command.Add(setting.Option);
        command.Add(Config);
    }

    private static string Text(string text) => text;

    /// <summary>What fits a sockaddr_un; whether the path can be bound is found out when it is (before the VM is built).</summary>
    private static string ParseSocketPath(string text)
    {
        int bytes = System.Text.Encoding.UTF8.GetByteCount(text);
        if (text.Length == 0 || text.Contains('\0')) throw new UsageException($"--api-socket '{text}': not a file name");
        if (bytes >= MiniVmm.Native.Unix.UnixSocketAbi.SunPathBytes)
        {
            throw new UsageException($"--api-socket {text}: {bytes} bytes, a socket path has at most {MiniVmm.Native.Unix.UnixSocketAbi.SunPathBytes - 1}");
        }
        return text;
    }

    private static ulong ParseMemory(string text)
    {
        if (!SizeParser.TryParse(text, out ulong bytes)) throw new UsageException($"--memory {text}: not a size (examples: 512M, 2G, 262144K)");
        if (bytes == 0) throw new UsageException($"--memory {text}: must be more than 0");
        if (GuestRam.CheckHostAllows(bytes) is string problem) throw new UsageException($"--memory {text}: {problem}");
        if (bytes % 4096 != 0) throw new UsageException($"--memory {text}: must be a multiple of 4K");
        return bytes;
    }
}
