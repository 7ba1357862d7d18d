namespace MiniVmm.Benchmarks.Tap;

/// <summary>
/// One direction and frame size of the tap benchmark: medians over rounds of the plain loop and the
/// device path, in packets per second and CPU nanoseconds per packet, with the rate ranges.
/// </summary>
public sealed record TapResult(string Direction, int FrameBytes, double PlainPps, double DevicePps, double PlainCpuNs, double DeviceCpuNs,
    double PlainPpsMin, double PlainPpsMax, double DevicePpsMin, double DevicePpsMax)
{
    /// <summary>Device rate over plain rate (wall clock: meaningless on a loaded machine).</summary>
    public double RateRatio => DevicePps / PlainPps;

    /// <summary>Plain CPU per packet over device CPU per packet: 100% means the device path costs what the bare syscall loop costs.</summary>
    public double CpuRatio => PlainCpuNs / DeviceCpuNs;
}
