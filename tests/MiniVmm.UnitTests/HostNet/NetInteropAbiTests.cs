using System.Runtime.CompilerServices;
using System.Diagnostics;
using MiniVmm.Native;
using MiniVmm.Native.Net;
using Tmds.Linux;

namespace MiniVmm.UnitTests.HostNet;

/// <summary>
/// Pins the tun/socket/epoll interop against the kernel headers: a C program compiled with gcc at
/// test time prints each number and size, and every C# value must equal it.
/// </summary>
public sealed class NetInteropAbiTests
{
    private const string Program = """
        #include <stdio.h>
        #include <stddef.h>
        #include <linux/types.h>
        #include <linux/if_tun.h>
        #include <linux/sockios.h>
        #include <linux/if_packet.h>
        #include <net/if.h>
        #include <sys/epoll.h>
        #include <sys/ioctl.h>
        /* The unmerged virtio-net hashing series, v12 (docs/STEERING.md), spelled with the kernel's own macros. */
        struct tun_vnet_rss { __u32 hash_types; __u16 indirection_table_mask; __u16 unclassified_queue; };
        #define P(name, value) printf("%s %lu\n", name, (unsigned long)(value))
        int main(void) {
          P("TUNSETIFF", TUNSETIFF); P("TUNSETPERSIST", TUNSETPERSIST); P("TUNGETFEATURES", TUNGETFEATURES);
          P("TUNSETOFFLOAD", TUNSETOFFLOAD); P("TUNGETIFF", TUNGETIFF); P("TUNGETVNETHDRSZ", TUNGETVNETHDRSZ);
          P("TUNSETVNETHDRSZ", TUNSETVNETHDRSZ); P("TUNSETQUEUE", TUNSETQUEUE); P("TUNSETSTEERINGEBPF", TUNSETSTEERINGEBPF);
          P("TUNGETVNETHASHTYPES", _IOR('T', 228, __u32)); P("TUNSETVNETREPORTINGAUTOMQ", _IOR('T', 229, __u32));
          P("TUNSETVNETREPORTINGRSS", _IOR('T', 230, struct tun_vnet_rss)); P("TUNSETVNETRSS", _IOR('T', 231, struct tun_vnet_rss));
          P("SIOCGIFFLAGS", SIOCGIFFLAGS); P("SIOCSIFFLAGS", SIOCSIFFLAGS); P("SIOCGIFINDEX", SIOCGIFINDEX);
          P("IFF_TAP", IFF_TAP); P("IFF_NO_PI", IFF_NO_PI); P("IFF_VNET_HDR", IFF_VNET_HDR); P("IFF_MULTI_QUEUE", IFF_MULTI_QUEUE);
          P("IFF_ATTACH_QUEUE", IFF_ATTACH_QUEUE); P("IFF_DETACH_QUEUE", IFF_DETACH_QUEUE); P("IFF_PERSIST", IFF_PERSIST);
          P("TUN_F_CSUM", TUN_F_CSUM); P("TUN_F_TSO4", TUN_F_TSO4); P("TUN_F_TSO6", TUN_F_TSO6); P("TUN_F_TSO_ECN", TUN_F_TSO_ECN); P("TUN_F_UFO", TUN_F_UFO);
          P("IFF_UP", IFF_UP); P("IFNAMSIZ", IFNAMSIZ);
          P("sizeof(struct ifreq)", sizeof(struct ifreq)); P("offsetof(ifreq, ifr_flags)", offsetof(struct ifreq, ifr_flags));
          P("offsetof(ifreq, ifr_ifindex)", offsetof(struct ifreq, ifr_ifindex));
          P("sizeof(struct sockaddr_ll)", sizeof(struct sockaddr_ll)); P("PACKET_OUTGOING", PACKET_OUTGOING);
          P("sizeof(struct epoll_event)", sizeof(struct epoll_event)); P("offsetof(epoll_event, data)", offsetof(struct epoll_event, data));
          P("EPOLLIN", EPOLLIN); P("EPOLLOUT", EPOLLOUT); P("EPOLLERR", EPOLLERR); P("EPOLLHUP", EPOLLHUP);
          P("sizeof(struct tun_vnet_rss)", sizeof(struct tun_vnet_rss));
          return 0;
        }
        """;

    [Fact]
    public void EveryNumberAndSize_MatchesTheKernelHeaders()
    {
        Dictionary<string, ulong> c = CompileAndRun();
        var ours = new Dictionary<string, ulong>
        {
            ["TUNSETIFF"] = TunIoctl.TUNSETIFF, ["TUNSETPERSIST"] = TunIoctl.TUNSETPERSIST, ["TUNGETFEATURES"] = TunIoctl.TUNGETFEATURES,
            ["TUNSETOFFLOAD"] = TunIoctl.TUNSETOFFLOAD, ["TUNGETIFF"] = TunIoctl.TUNGETIFF, ["TUNGETVNETHDRSZ"] = TunIoctl.TUNGETVNETHDRSZ,
            ["TUNSETVNETHDRSZ"] = TunIoctl.TUNSETVNETHDRSZ, ["TUNSETQUEUE"] = TunIoctl.TUNSETQUEUE, ["TUNSETSTEERINGEBPF"] = TunIoctl.TUNSETSTEERINGEBPF,
            ["TUNGETVNETHASHTYPES"] = TunIoctl.TUNGETVNETHASHTYPES, ["TUNSETVNETREPORTINGAUTOMQ"] = TunIoctl.TUNSETVNETREPORTINGAUTOMQ,
            ["TUNSETVNETREPORTINGRSS"] = TunIoctl.TUNSETVNETREPORTINGRSS, ["TUNSETVNETRSS"] = TunIoctl.TUNSETVNETRSS,
            ["SIOCGIFFLAGS"] = TunIoctl.SIOCGIFFLAGS, ["SIOCSIFFLAGS"] = TunIoctl.SIOCSIFFLAGS, ["SIOCGIFINDEX"] = TunIoctl.SIOCGIFINDEX,
            ["IFF_TAP"] = (ulong)TunFlags.Tap, ["IFF_NO_PI"] = (ulong)TunFlags.NoPi, ["IFF_VNET_HDR"] = (ulong)TunFlags.VnetHdr,
            ["IFF_MULTI_QUEUE"] = (ulong)TunFlags.MultiQueue, ["IFF_ATTACH_QUEUE"] = (ulong)TunFlags.AttachQueue,
            ["IFF_DETACH_QUEUE"] = (ulong)TunFlags.DetachQueue, ["IFF_PERSIST"] = (ulong)TunFlags.Persist,
            ["TUN_F_CSUM"] = (ulong)TunOffloads.Csum, ["TUN_F_TSO4"] = (ulong)TunOffloads.Tso4, ["TUN_F_TSO6"] = (ulong)TunOffloads.Tso6,
            ["TUN_F_TSO_ECN"] = (ulong)TunOffloads.TsoEcn, ["TUN_F_UFO"] = (ulong)TunOffloads.Ufo,
            ["IFF_UP"] = (ulong)InterfaceFlags.Up, ["IFNAMSIZ"] = Ifreq.NameBytes,
            ["sizeof(struct ifreq)"] = (ulong)Unsafe.SizeOf<Ifreq>(), ["offsetof(ifreq, ifr_flags)"] = Offset<Ifreq>(nameof(Ifreq.Flags)),
            ["offsetof(ifreq, ifr_ifindex)"] = Offset<Ifreq>(nameof(Ifreq.IfIndex)),
            ["sizeof(struct sockaddr_ll)"] = (ulong)Unsafe.SizeOf<sockaddr_ll>(), ["PACKET_OUTGOING"] = PacketSocket.PacketOutgoing,
            ["sizeof(struct epoll_event)"] = (ulong)Unsafe.SizeOf<EpollEvent>(), ["offsetof(epoll_event, data)"] = Offset<EpollEvent>(nameof(EpollEvent.Token)),
            ["EPOLLIN"] = (ulong)EpollEvents.In, ["EPOLLOUT"] = (ulong)EpollEvents.Out, ["EPOLLERR"] = (ulong)EpollEvents.Err, ["EPOLLHUP"] = (ulong)EpollEvents.Hup,
            ["sizeof(struct tun_vnet_rss)"] = (ulong)Unsafe.SizeOf<TunVnetRss>(),
        };
        Assert.Equal(ours.Keys.Order(), c.Keys.Order());
        var wrong = ours.Where(kv => c[kv.Key] != kv.Value).Select(kv => $"{kv.Key}: ours 0x{kv.Value:x}, kernel 0x{c[kv.Key]:x}").ToList();
        Assert.Empty(wrong);
        Assert.Equal((ulong)Unsafe.SizeOf<Tmds.Linux.epoll_event>(), c["sizeof(struct epoll_event)"]); // Epoll casts to this type
    }

    private static ulong Offset<T>(string field) => (ulong)System.Runtime.InteropServices.Marshal.OffsetOf<T>(field);

    private static Dictionary<string, ulong> CompileAndRun()
    {
        string dir = Directory.CreateTempSubdirectory("mvt-abi-").FullName;
        try
        {
            string source = Path.Combine(dir, "abi.c"), exe = Path.Combine(dir, "abi");
            File.WriteAllText(source, Program);
            Run("gcc", $"-o {exe} {source}");
            return Run(exe, "").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(line => (Name: line[..line.LastIndexOf(' ')], Value: ulong.Parse(line[(line.LastIndexOf(' ') + 1)..])))
                .ToDictionary(x => x.Name, x => x.Value);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static string Run(string file, string args)
    {
        using var p = Process.Start(new ProcessStartInfo(file, args) { RedirectStandardOutput = true, RedirectStandardError = true })!;
        string output = p.StandardOutput.ReadToEnd();
        string error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"{file} {args} failed: {error}");
        return output;
    }
}
