using MiniVmm.Native;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// The BPF layer's probes, as the steering selection needs them. MiniVmm.Bpf implements this
/// (the lead wires it): a real program load plus TUNSETSTEERINGEBPF, and kfunc lookup in kernel BTF.
/// </summary>
public interface IBpfProbe
{
    /// <summary>Loads the steering program and attaches it to <paramref name="tapQueue"/>, then detaches and unloads it.</summary>
    ProbeResult CanLoadAndAttach(FileDescriptor tapQueue);

    /// <summary>True when a kernel function of this name is in the kernel's BTF (/sys/kernel/btf/vmlinux).</summary>
    bool KfuncExists(string name);
}
