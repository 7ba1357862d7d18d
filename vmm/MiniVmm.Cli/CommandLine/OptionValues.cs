using System.Globalization;
using MiniVmm.Cli.Configuration;
using MiniVmm.HostNet.Steering;
using MiniVmm.HostNet.VhostNet;

namespace MiniVmm.Cli.CommandLine;

/// <summary>Value parsers several commands share; each throws <see cref="UsageException"/> naming the option and the value.</summary>
public static class OptionValues
{
    public static int WholeNumber(string option, string text, int min, int max) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int value) && value >= min && value <= max
            ? value
            : throw new UsageException($"{option} {text}: must be a whole number from {min} to {max}");

    public static bool OnOff(string option, string text) => text switch
    {
        "on" => true,
        "off" => false,
        _ => throw new UsageException($"{option} {text}: must be on or off"),
    };

    public static SteeringRequest Steering(string option, string text)
    {
        try { return SteeringSelector.ParseRequest(text); }
        catch (FormatException) { throw new UsageException($"{option} {text}: must be one of {string.Join(", ", SteeringNames)}"); }
    }

    public static VhostRequest Vhost(string option, string text)
    {
        try { return VhostNetSelector.Parse(text); }
        catch (FormatException) { throw new UsageException($"{option} {text}: must be on, off or auto"); }
    }

    /// <summary>What --steering accepts (docs/STEERING.md), in the order help and completion list them.</summary>
    public static readonly string[] SteeringNames = ["auto", "ebpf", "software", "kernel", "ebpf-kfuncs", "ebpf-hybrid"];
}
