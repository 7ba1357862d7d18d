using MiniVmm.Native;
using MiniVmm.Native.Net;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// Asks the running kernel. Tun hashing: TUNGETVNETHASHTYPES on a throwaway multiqueue TAP
/// (success means present, EINVAL/ENOTTY absent). Kfuncs and eBPF: through <see cref="IBpfProbe"/>,
/// the eBPF probe attaching to the same throwaway TAP. Runs every probe once, in the constructor,
/// and leaves nothing behind (the TAP is never persistent: closing its fd deletes it).
/// </summary>
public sealed class KernelSteeringCapabilities : ISteeringCapabilities
{
    /// <summary>The name pattern of the throwaway TAP; the kernel picks the number.</summary>
    public const string ProbeTapPattern = "mvprobe%d";

    /// <param name="bpf">The BPF layer's probes; null answers "no BPF layer" for kfuncs and eBPF.</param>
    /// <param name="kfuncs">The kfunc names that must all exist (default <see cref="SteeringKfuncs.Required"/>).</param>
    public KernelSteeringCapabilities(IBpfProbe? bpf, IReadOnlyList<string>? kfuncs = null)
    {
        kfuncs ??= SteeringKfuncs.Required;
        FileDescriptor? tap = null;
        string? tapProblem = null;
        try { tap = TunDevice.OpenQueue(ProbeTapPattern, Tap.RequiredFlags, out _); }
        catch (SyscallException e) { tapProblem = $"cannot open a TAP to probe: {e.Message}"; }
        using (tap)
        {
            TunHashIoctls = tap is null ? ProbeResult.No(tapProblem!) : ProbeTunHashing(tap);
            HashKfuncs = bpf is null ? ProbeResult.No("no BPF layer to look kfuncs up") : ProbeKfuncs(bpf, kfuncs);
            EbpfSteering = bpf is null ? ProbeResult.No("no BPF layer to load a program")
                : tap is null ? ProbeResult.No(tapProblem!)
                : Guard(() => bpf.CanLoadAndAttach(tap), "loading the steering program");
        }
    }

    public ProbeResult TunHashIoctls { get; }

    public ProbeResult HashKfuncs { get; }

    public ProbeResult EbpfSteering { get; }

    /// <summary>TUNGETVNETHASHTYPES (v12 of the series) on a bound TAP fd.</summary>
    public static ProbeResult ProbeTunHashing(FileDescriptor tapQueue)
    {
        bool answered = TunDevice.TryGetVnetHashTypes(tapQueue, out uint types, out int errno);
        string ioctl = $"TUNGETVNETHASHTYPES (0x{TunIoctl.TUNGETVNETHASHTYPES:x8})";
        if (answered) return types != 0 ? ProbeResult.Yes($"{ioctl} answered hash types 0x{types:x}") : ProbeResult.No($"{ioctl} answered no hash types");
        return errno is Errno.EINVAL or Errno.ENOTTY
            ? ProbeResult.No($"{ioctl} answered {Errno.Name(errno)}: this kernel's tun has no virtio-net hashing")
            : ProbeResult.No($"{ioctl} answered {Errno.Name(errno)}");
    }

    private static ProbeResult ProbeKfuncs(IBpfProbe bpf, IReadOnlyList<string> names) => Guard(() =>
    {
        string[] missing = names.Where(n => !bpf.KfuncExists(n)).ToArray();
        return missing.Length == 0
            ? ProbeResult.Yes($"{string.Join(", ", names)} in kernel BTF")
            : ProbeResult.No($"{string.Join(", ", missing)} not in kernel BTF");
    }, "looking kfuncs up");

    // A probe that throws means "not available", with the reason; it must never stop the VMM.
    private static ProbeResult Guard(Func<ProbeResult> probe, string what)
    {
        try { return probe(); }
        catch (Exception e) { return ProbeResult.No($"{what} failed: {e.Message}"); }
    }
}
