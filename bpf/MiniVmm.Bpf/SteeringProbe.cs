using MiniVmm.Native;
using Tmds.Linux;

namespace MiniVmm.Bpf;

/// <summary>
/// Asks the kernel, never the version string: can the steering program be loaded and attached
/// (a real load and a TUNSETSTEERINGEBPF on a throwaway TAP), and does a kfunc exist (a lookup
/// by name among BTF_KIND_FUNC entries of /sys/kernel/btf/vmlinux and of module BTF).
/// </summary>
public static unsafe class SteeringProbe
{
    /// <summary>The kfuncs the kfunc variant calls (docs/BPF.md says where the names come from).</summary>
    public static IReadOnlyList<string> HashKfuncNames { get; } = ["bpf_skb_set_vnet_hash"];

    /// <summary>Modules whose BTF may hold the hash kfuncs besides vmlinux (tun may be a module).</summary>
    public static IReadOnlyList<string> HashKfuncModules { get; } = ["tun"];

    /// <summary>Loads <paramref name="objectPath"/> and attaches it to a TAP that exists only for the probe.</summary>
    public static ProbeOutcome LoadAndAttach(string objectPath)
    {
        try
        {
            using var program = RssSteeringProgram.Load(objectPath);
            using var tap = OpenThrowawayTap();
            program.AttachTo(tap);
            RssSteeringProgram.DetachFrom(tap);
            return new ProbeOutcome(true, "loaded and attached with TUNSETSTEERINGEBPF");
        }
        catch (SyscallException e)
        {
            return new ProbeOutcome(false, e.Message);
        }
        catch (Exception e) when (e is FileNotFoundException or DllNotFoundException or EntryPointNotFoundException)
        {
            return new ProbeOutcome(false, e.Message);
        }
    }

    /// <summary>True when a function named <paramref name="name"/> is in the kernel's BTF (vmlinux or the given modules).</summary>
    public static bool KernelFunctionExists(string name, IEnumerable<string>? modules = null)
    {
        LibBpfLog.EnsureInstalled();
        IntPtr vmlinux = LibBpf.btf__load_vmlinux_btf();
        if (vmlinux == IntPtr.Zero) return false;
        try
        {
            if (LibBpf.btf__find_by_name_kind(vmlinux, name, LibBpf.BtfKindFunc) >= 0) return true;
            foreach (string module in modules ?? [])
            {
                if (!File.Exists($"/sys/kernel/btf/{module}")) continue;
                IntPtr btf = LibBpf.btf__load_module_btf(module, vmlinux);
                if (btf == IntPtr.Zero) continue;
                try
                {
                    if (LibBpf.btf__find_by_name_kind(btf, name, LibBpf.BtfKindFunc) >= 0) return true;
                }
                finally
                {
                    LibBpf.btf__free(btf);
                }
            }
            return false;
        }
        finally
        {
            LibBpf.btf__free(vmlinux);
        }
    }

    /// <summary>Whether every kfunc of <see cref="HashKfuncNames"/> exists, with the names that do not.</summary>
    public static ProbeOutcome HashKfuncs()
    {
        if (!File.Exists("/sys/kernel/btf/vmlinux")) return new ProbeOutcome(false, "no /sys/kernel/btf/vmlinux");
        var missing = HashKfuncNames.Where(n => !KernelFunctionExists(n, HashKfuncModules)).ToList();
        return missing.Count == 0
            ? new ProbeOutcome(true, $"{string.Join(", ", HashKfuncNames)} in kernel BTF")
            : new ProbeOutcome(false, $"{string.Join(", ", missing)} not in kernel BTF");
    }

    /// <summary>An unnamed multiqueue TAP; the kernel deletes it when the fd closes.</summary>
    private static FileDescriptor OpenThrowawayTap()
    {
        var tun = FileDescriptor.Open("/dev/net/tun", LibC.O_RDWR);
        try
        {
            byte* ifreq = stackalloc byte[TunSteeringIoctls.IfReqSize];
            new Span<byte>(ifreq, TunSteeringIoctls.IfReqSize).Clear();
            *(short*)(ifreq + 16) = TunSteeringIoctls.IffTap | TunSteeringIoctls.IffNoPi | TunSteeringIoctls.IffMultiQueue;
            Ioctl.Invoke(tun, TunSteeringIoctls.SetInterface, "TUNSETIFF", ifreq);
            return tun;
        }
        catch
        {
            tun.Dispose();
            throw;
        }
    }
}
