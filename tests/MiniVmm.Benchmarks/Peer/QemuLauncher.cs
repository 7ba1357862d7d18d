using System.Diagnostics;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// Debian's qemu-system-x86_64 (7.2) with virtio-net-pci on the TAP, vhost off (there is no
/// /dev/vhost-net here), mq=on and rss=on, optionally hash=on. QEMU's eBPF RSS program does not
/// load on this machine (libbpf 1.x rejects its legacy map definitions), so QEMU steers in software;
/// <see cref="ProbeVm"/> records QEMU's stderr so the report can say which one it used.
/// </summary>
public sealed class QemuLauncher(bool hashReport) : ProbeVmLauncher
{
    public const string Binary = "qemu-system-x86_64";

    public override string Label => hashReport ? "qemu rss+hash" : "qemu rss";

    public override bool HashReport => hashReport;

    // QEMU opens a single-queue TAP (no IFF_MULTI_QUEUE) when queues=1, and TUNSETIFF refuses a mismatch.
    public override bool NeedsMultiQueueTap(int queues) => queues > 1;

    public override ProcessStartInfo StartInfo(string probeElf, string probeArgs, string tap, int queues)
    {
        var info = new ProcessStartInfo(Binary);
        // -cpu host alone dies on PVM hosts setting MSR 0x10a; romfile= skips the emulated iPXE ROM.
        foreach (string a in new[]
        {
            // debug-threads=on names the vCPU threads "CPU 0/KVM": the CPU sampler tells them from the I/O threads.
            "-name", "probe,debug-threads=on",
            "-enable-kvm", "-cpu", "host,-arch-capabilities", "-m", "256", "-nographic", "-no-reboot",
            "-kernel", probeElf, "-append", probeArgs,
            "-device", "isa-debug-exit,iobase=0x501,iosize=4",
            "-netdev", $"tap,id=n0,ifname={tap},script=no,downscript=no,queues={queues},vhost=off",
            "-device", $"virtio-net-pci,netdev=n0,mq=on,vectors={2 * queues + 2},rss=on{(hashReport ? ",hash=on" : "")},romfile=",
        })
        {
            info.ArgumentList.Add(a);
        }
        return info;
    }

    public override string? Unavailable() =>
        ProbeVm.FindOnPath(Binary) is null ? $"{Binary} is not installed (apt-get install qemu-system-x86)" : null;
}
