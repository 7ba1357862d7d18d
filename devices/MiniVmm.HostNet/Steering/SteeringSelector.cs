namespace MiniVmm.HostNet.Steering;

/// <summary>
/// Picks the steering back end from what was asked and what the kernel offers (docs/STEERING.md):
/// auto takes the first available, top down (kernel, ebpf-kfuncs, ebpf-hybrid, software); an
/// explicit request that is unavailable is an error naming why. Either way one log line says
/// which back end and the probe results behind it.
/// </summary>
public static class SteeringSelector
{
    private static readonly SteeringBackendKind[] TopDown =
        [SteeringBackendKind.Kernel, SteeringBackendKind.EbpfKfuncs, SteeringBackendKind.EbpfHybrid, SteeringBackendKind.Software];

    /// <summary>The name used on the command line and in logs.</summary>
    public static string Name(SteeringBackendKind kind) => kind switch
    {
        SteeringBackendKind.Kernel => "kernel",
        SteeringBackendKind.EbpfKfuncs => "ebpf-kfuncs",
        SteeringBackendKind.EbpfHybrid => "ebpf-hybrid",
        SteeringBackendKind.Software => "software",
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    public static string Name(SteeringRequest request) => request switch
    {
        SteeringRequest.Auto => "auto",
        SteeringRequest.Ebpf => "ebpf",
        SteeringRequest.Kernel => "kernel",
        SteeringRequest.EbpfKfuncs => "ebpf-kfuncs",
        SteeringRequest.EbpfHybrid => "ebpf-hybrid",
        SteeringRequest.Software => "software",
        _ => throw new ArgumentOutOfRangeException(nameof(request)),
    };

    /// <summary>Parses steering=VALUE; the error names the value and the accepted ones.</summary>
    public static SteeringRequest ParseRequest(string text) => text.Trim().ToLowerInvariant() switch
    {
        "auto" => SteeringRequest.Auto,
        "kernel" => SteeringRequest.Kernel,
        "ebpf" => SteeringRequest.Ebpf,
        "ebpf-kfuncs" or "ebpf+kfuncs" => SteeringRequest.EbpfKfuncs,
        "ebpf-hybrid" => SteeringRequest.EbpfHybrid,
        "software" => SteeringRequest.Software,
        _ => throw new FormatException($"steering={text}: expected auto, kernel, ebpf, ebpf-kfuncs, ebpf-hybrid or software"),
    };

    /// <summary>Whether one back end can run here, with the reason of the probe that decided.</summary>
    public static ProbeResult Availability(SteeringBackendKind kind, ISteeringCapabilities capabilities) => kind switch
    {
        SteeringBackendKind.Kernel => capabilities.TunHashIoctls,
        SteeringBackendKind.EbpfKfuncs => !capabilities.EbpfSteering.Available ? capabilities.EbpfSteering
            : !capabilities.HashKfuncs.Available ? capabilities.HashKfuncs
            : ProbeResult.Yes($"{capabilities.EbpfSteering.Reason}; {capabilities.HashKfuncs.Reason}"),
        SteeringBackendKind.EbpfHybrid => capabilities.EbpfSteering,
        SteeringBackendKind.Software => ProbeResult.Yes("needs nothing from the kernel"),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    /// <summary>
    /// Chooses the back end. With hash report off, auto skips ebpf-kfuncs: storing a hash nobody
    /// reads buys nothing over the hybrid program. Throws <see cref="SteeringUnavailableException"/>
    /// for an explicit request the host cannot serve.
    /// </summary>
    public static SteeringChoice Choose(SteeringRequest requested, ISteeringCapabilities capabilities, bool hashReportWanted)
    {
        SteeringBackendKind[] candidates = requested switch
        {
            SteeringRequest.Auto => TopDown,
            SteeringRequest.Ebpf => [SteeringBackendKind.EbpfKfuncs, SteeringBackendKind.EbpfHybrid],
            SteeringRequest.Kernel => [SteeringBackendKind.Kernel],
            SteeringRequest.EbpfKfuncs => [SteeringBackendKind.EbpfKfuncs],
            SteeringRequest.EbpfHybrid => [SteeringBackendKind.EbpfHybrid],
            SteeringRequest.Software => [SteeringBackendKind.Software],
            _ => throw new ArgumentOutOfRangeException(nameof(requested)),
        };
        bool isFamily = candidates.Length > 1;
        foreach (SteeringBackendKind kind in candidates)
        {
            if (isFamily && kind == SteeringBackendKind.EbpfKfuncs && !hashReportWanted) continue;
            if (!Availability(kind, capabilities).Available) continue;
            return new SteeringChoice(kind, LogLine(kind, requested, capabilities, hashReportWanted))
            {
                HashesInProcess = kind == SteeringBackendKind.Software || (kind == SteeringBackendKind.EbpfHybrid && hashReportWanted),
                HashReport = hashReportWanted,
            };
        }
        // Only explicit requests get here: auto always ends at software.
        SteeringBackendKind wanted = candidates[^1];
        ProbeResult why = Availability(wanted, capabilities);
        throw new SteeringUnavailableException($"steering={Name(requested)}: {Name(wanted)} is not available here: {why.Reason}");
    }

    private static string LogLine(SteeringBackendKind chosen, SteeringRequest requested, ISteeringCapabilities caps, bool hashReport)
    {
        string hashing = chosen switch
        {
            SteeringBackendKind.Kernel => "kernel hashes and reports",
            SteeringBackendKind.EbpfKfuncs => "BPF program hashes and reports",
            SteeringBackendKind.EbpfHybrid => hashReport ? "BPF program steers, VMM hashes for the report" : "BPF program steers",
            _ => "VMM hashes and re-steers",
        };
        return $"steering: {Name(chosen)} (requested {Name(requested)}, hash report {(hashReport ? "on" : "off")}: {hashing})"
            + $"; tun hashing ioctls: {caps.TunHashIoctls}; hash kfuncs: {caps.HashKfuncs}; ebpf steering: {caps.EbpfSteering}";
    }
}
