using System.Diagnostics;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// qemu-system-x86_64 7.2 whose virtio-net-pci is `-netdev vhost-user` on our back end process
/// (`minivmm vhost-user-net` on the benchmark's TAP): QEMU runs the guest, our back end the data
/// path. Guest RAM is a shared memfd, which vhost-user needs. QEMU keeps the control queue, so the
/// guest gets MQ without RSS (TAP automatic steering), and no hash report. The command line is the
/// one docs/VHOST-USER.md ("QEMU as the front end") records.
/// </summary>
public sealed class QemuVhostUserLauncher(string minivmm) : ProbeVmLauncher
{
    public override string Label => "qemu vhost-user";

    public override bool HashReport => false;

    public override bool NeedsMultiQueueTap(int queues) => true; // our back end always opens its queues with IFF_MULTI_QUEUE

    public override IProbeBackEnd StartBackEnd(string tap, int queues) => VhostUserBackEnd.Start(minivmm, VhostUserBackEnd.SocketFor(tap), tap, queues);

    public override ProcessStartInfo StartInfo(string probeElf, string probeArgs, string tap, int queues)
    {
        var info = new ProcessStartInfo(QemuLauncher.Binary);
        foreach (string a in new[]
        {
            "-name", "probe,debug-threads=on",
            "-enable-kvm", "-cpu", "host,-arch-capabilities", "-m", "256", "-nographic", "-no-reboot",
            "-object", "memory-backend-memfd,id=mem,size=256M,share=on", "-numa", "node,memdev=mem",
            "-kernel", probeElf, "-append", probeArgs,
            "-device", "isa-debug-exit,iobase=0x501,iosize=4",
            "-chardev", $"socket,id=c0,path={VhostUserBackEnd.SocketFor(tap)}",
            "-netdev", $"vhost-user,id=n0,chardev=c0,queues={queues}",
            "-device", $"virtio-net-pci,netdev=n0,mq=on,vectors={2 * queues + 2},romfile=",
        })
        {
            info.ArgumentList.Add(a);
        }
        return info;
    }

    public override string? Unavailable()
    {
        if (ProbeVm.FindOnPath(QemuLauncher.Binary) is null) return $"{QemuLauncher.Binary} is not installed (apt-get install qemu-system-x86)";
        return File.Exists(minivmm) ? null : $"{minivmm} not found (./build.sh publishes it)";
    }
}
