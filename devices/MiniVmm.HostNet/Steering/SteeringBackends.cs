using MiniVmm.Bpf;

namespace MiniVmm.HostNet.Steering;

/// <summary>Builds the back end a <see cref="SteeringChoice"/> names, over an open TAP.</summary>
public static class SteeringBackends
{
    public static ISteeringBackend Create(SteeringChoice choice, Tap tap) => choice.Kind switch
    {
        SteeringBackendKind.Software => new SoftwareSteeringBackend(tap),
        SteeringBackendKind.EbpfHybrid => new HybridEbpfSteeringBackend(tap, RssSteeringProgram.LoadEmbedded()),
        // Neither can be exercised on a mainline kernel; the probes never select them there.
        _ => throw new SteeringUnavailableException(
            $"steering={SteeringSelector.Name(choice.Kind)}: this build has no data path for it yet (the kernel interface is not in mainline)"),
    };
}
