using MiniVmm.Bpf;

namespace MiniVmm.HostNet.Steering;

/// <summary>Builds the back end a <see cref="SteeringChoice"/> names, over an open TAP.</summary>
public static class SteeringBackends
{
    /// <summary>
    /// Kernel and ebpf-kfuncs need kernel interfaces that are not in mainline; the selector only names
    /// them when their probes said yes, and building them fails with the kernel's errno otherwise.
    /// </summary>
    /// <param name="loadedProgram">The plain steering program if already loaded (by the probe), else it is loaded here.</param>
    public static ISteeringBackend Create(SteeringChoice choice, Tap tap, Func<RssSteeringProgram>? loadedProgram = null) => choice.Kind switch
    {
        SteeringBackendKind.Software => new SoftwareSteeringBackend(tap),
        SteeringBackendKind.EbpfHybrid => new HybridEbpfSteeringBackend(tap.Queues,
            new TapSteeringProgram(tap, loadedProgram?.Invoke() ?? RssSteeringProgram.LoadEmbedded())),
        SteeringBackendKind.Kernel => KernelSteeringBackend.Create(tap, choice.HashReport),
        SteeringBackendKind.EbpfKfuncs => KfuncSteeringBackend.Create(tap, RssSteeringProgram.LoadEmbedded(withHashKfuncs: true)),
        _ => throw new ArgumentOutOfRangeException(nameof(choice), choice.Kind, "unknown steering back end"),
    };
}
