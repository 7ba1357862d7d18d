using MiniVmm.Native;
using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// Kernel steering: the tun driver hashes every packet, picks its queue from the guest's table and
/// writes hash_value / hash_report into the 20-byte vnet header (TUNSETVNETHDRSZ 20), so worker k
/// only sees pair k's packets and the VMM hashes nothing (<see cref="HashProvider"/> is null). Every
/// RSS_CONFIG / HASH_CONFIG goes to the kernel as it is (<see cref="IKernelRss"/>); no configuration
/// turns kernel RSS off. Needs the unmerged tun hashing series: no kernel we can run has it.
/// </summary>
public sealed class KernelSteeringBackend : ISteeringBackend
{
    private readonly IKernelRss _kernel;
    private readonly bool _reportHash;
    private readonly HashFilledQueue[] _ports;
    private readonly Lock _lock = new();
    private bool _disposed;

    /// <param name="queues">The TAP's queues, already at 20-byte vnet headers.</param>
    /// <param name="kernel">The tun hashing ioctls (or a fake).</param>
    /// <param name="reportHash">The device offers HASH_REPORT: ask the kernel to fill the hash (harmless when the guest declines).</param>
    public KernelSteeringBackend(IReadOnlyList<INetBackendQueue> queues, IKernelRss kernel, bool reportHash)
    {
        _kernel = kernel;
        _reportHash = reportHash;
        // The kernel fills the hash whenever hashing is configured; with none, it leaves the fields and
        // the device, which clears them before each read, reports NONE.
        _ports = queues.Select(q => new HashFilledQueue(q, hashFilled: true)).ToArray();
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

    public IRxHashProvider? HashProvider => null;

    public INetBackendQueue PortOf(int pair) => _ports[pair];

    public EventFd? WakeupOf(int pair) => null;

    /// <summary>
    /// RSS_CONFIG: TUNSETVNETREPORTINGRSS (or TUNSETVNETRSS without hash report); HASH_CONFIG:
    /// TUNSETVNETREPORTINGAUTOMQ; null (reset): off. The kernel applies "% active queues" itself, and
    /// the machine attaches and detaches TAP queues for the pair count, so <paramref name="activePairs"/> needs nothing here.
    /// </summary>
    public void Configure(RssConfiguration? configuration, int activePairs)
    {
        lock (_lock)
        {
            if (_disposed) return;
            if (configuration is null) _kernel.Disable();
            else _kernel.Configure(configuration, _reportHash);
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
