using MiniVmm.Native;

namespace MiniVmm.Bpf;

/// <summary>
/// Asks the kernel's BTF, never the version string, whether a function exists: a lookup by name
/// among BTF_KIND_FUNC entries of /sys/kernel/btf/vmlinux and of module BTF. The steering probes
/// (HostNet's KernelSteeringCapabilities) call this for the hash kfuncs.
/// </summary>
public static class SteeringProbe
{
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
}
