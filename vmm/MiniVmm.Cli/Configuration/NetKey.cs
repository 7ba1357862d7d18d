using MiniVmm.HostNet;
using MiniVmm.Machine.Net;

namespace MiniVmm.Cli.Configuration;

/// <summary>
/// One key of <c>--net KEY=VALUE,...</c>: its name, the value's name and help (the --net help is
/// generated from these), and how a value changes the options (given the part, for error lines).
/// </summary>
public sealed record NetKey(string Name, string Value, string Help, Func<NetworkOptions, string, string, NetworkOptions> Apply, bool Repeatable = false);
