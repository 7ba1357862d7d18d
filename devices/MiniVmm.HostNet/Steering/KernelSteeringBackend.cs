using MiniVmm.Native;
using MiniVmm.Virtio.Net;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// Kernel steering: the tun driver hashes every packet, picks its queue from the guest's table and
/// writes hash_value / hash_report into the 20-byte vnet header (TUNSETVNETHDRSZ 20), so worker k
/// only sees pair k's packets and the VMM hashes nothing (the ports read the header). Every
/// RSS_CONFIG / HASH_CONFIG goes to the kernel as it is (<see cref="IKernelRss"/>). Needs the
/// unmerged tun hashing series: no kernel we can run has it.
/// </summary>
public sealed class KernelSteeringBackend : ISteeringBackend
{
    private readonly IKernelRss _kernel;
    private readonly bool _reportHash;
    private readonly TapPort[] _ports;
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <param name="queues">The TAP's queues, already at 20-byte vnet headers.</param>
    /// <param name="kernel">The tun hashing ioctls (or a fake).</param>
    /// <param name="reportHash">The device offers HASH_REPORT: ask the kernel to fill the hash (harmless when the guest declines).</param>
    public KernelSteeringBackend(IReadOnlyList<TapQueue> queues, IKernelRss kernel, bool reportHash)
    {
        if (queues.FirstOrDefault(q => q.HeaderBytes != VirtioNetHeader.HashBytes) is TapQueue narrow)
        {
            throw new ArgumentException($"the kernel fills the hash in 20-byte vnet headers; queue {narrow.Index} has {narrow.HeaderBytes}", nameof(queues));
        }
        _kernel = kernel;
        _reportHash = reportHash;
        // The kernel fills the hash whenever hashing is configured; with none, it leaves the fields,
        // which the port clears before each read: the report is then NONE.
        _ports = queues.Select(q => new TapPort(q) { KernelFillsHash = true }).ToArray();
        // Start from "off": an attached TAP may still hold an earlier user's RSS configuration.
        _kernel.Disable();
    }

    /// <summary>
    /// Over a real TAP: turns kernel RSS off first (on kernels without the series this is where it fails,
    /// with the ioctl's errno, before anything changed), then sets TUNSETVNETHDRSZ 20.
    /// </summary>
    public static KernelSteeringBackend Create(Tap tap, bool reportHash)
    {
        var kernel = new TunKernelRss(tap);
        kernel.Disable();
        tap.SetVnetHeaderSize(Tap.VnetHashHeaderBytes);
        return new KernelSteeringBackend(tap.Queues, kernel, reportHash);
    }

    public SteeringBackendKind Kind => SteeringBackendKind.Kernel;

    public IPairPort PortOf(int pair) => _ports[pair];

    /// <summary>
    /// RSS_CONFIG: TUNSETVNETREPORTINGRSS (or TUNSETVNETRSS without hash report); HASH_CONFIG:
    /// TUNSETVNETREPORTINGAUTOMQ; none (reset): off. The kernel applies "% active queues" itself over
    /// the queues attached for <see cref="SteeringState.Pairs"/>.
    /// </summary>
    public void Apply(SteeringState state)
    {
        lock (_lock)
        {
            if (_disposed) return;
            if (state.Configuration is null) _kernel.Disable();
            else _kernel.Configure(state.Configuration, _reportHash);
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            // Leave an attached TAP as we found it; a TAP we created vanishes anyway.
            try { _kernel.Disable(); }
            catch (SyscallException) { }
            catch (ObjectDisposedException) { }
        }
    }
}
