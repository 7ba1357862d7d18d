using System.Diagnostics;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// How one VMM runs the probe guest on a given TAP: the command line, and the kind of TAP it
/// needs. The benchmark drives every launcher the same way (<see cref="ProbeVm"/>).
/// </summary>
public abstract class ProbeVmLauncher
{
    /// <summary>Short label for tables, e.g. "qemu rss+hash" or "minivmm ebpf".</summary>
    public abstract string Label { get; }

    /// <summary>Whether the device offers VIRTIO_NET_F_HASH_REPORT (the probe then negotiates it).</summary>
    public abstract bool HashReport { get; }

    /// <summary>Whether the persistent TAP must be created with IFF_MULTI_QUEUE for <paramref name="queues"/> queues.</summary>
    public abstract bool NeedsMultiQueueTap(int queues);

    /// <summary>The process that boots <paramref name="probeElf"/> with <paramref name="probeArgs"/> on <paramref name="tap"/>.</summary>
    public abstract ProcessStartInfo StartInfo(string probeElf, string probeArgs, string tap, int queues);

    /// <summary>
    /// A back end process the VMM's NIC is served by (a vhost-user back end, on <paramref name="tap"/> if it uses one),
    /// started before the VMM and disposed after it; null when the VMM opens the TAP itself.
    /// </summary>
    public virtual IProbeBackEnd? StartBackEnd(string tap, int queues) => null;

    /// <summary>Whether host-to-guest RX can be measured (it needs the host to fill the TAP the back end reads).</summary>
    public virtual bool MeasuresRx => true;

    /// <summary>Null when the launcher can run here, else why not (one line).</summary>
    public abstract string? Unavailable();
}
