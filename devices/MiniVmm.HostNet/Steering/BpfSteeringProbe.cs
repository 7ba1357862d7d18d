using MiniVmm.Bpf;
using MiniVmm.Native;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// The BPF layer's probes for steering selection: a real load + TUNSETSTEERINGEBPF, and kfuncs by name
/// in kernel BTF. The program the probe loaded is kept (<see cref="TakeProgram"/>) so the back end does
/// not pay for a second verification of the same program (about 100 ms here).
/// </summary>
public sealed class BpfSteeringProbe : IBpfProbe, IDisposable
{
    private RssSteeringProgram? _loaded;

    public ProbeResult CanLoadAndAttach(FileDescriptor tapQueue)
    {
        RssSteeringProgram? program = null;
        try
        {
            program = RssSteeringProgram.LoadEmbedded();
            program.AttachTo(tapQueue);
            RssSteeringProgram.DetachFrom(tapQueue);
            _loaded?.Dispose();
            _loaded = program;
            return new ProbeResult(true, "program loaded and attached with TUNSETSTEERINGEBPF");
        }
        catch (SyscallException e)
        {
            program?.Dispose();
            return new ProbeResult(false, e.Message);
        }
    }

    /// <summary>The steering program the probe loaded (now the caller's), or a freshly loaded one.</summary>
    public RssSteeringProgram TakeProgram()
    {
        RssSteeringProgram program = _loaded ?? RssSteeringProgram.LoadEmbedded();
        _loaded = null;
        return program;
    }

    public void Dispose()
    {
        _loaded?.Dispose();
        _loaded = null;
    }

    /// <summary>Looks in vmlinux BTF and in tun's module BTF (the hash kfuncs would live in tun, which may be a module).</summary>
    public bool KfuncExists(string name) => SteeringProbe.KernelFunctionExists(name, SteeringKfuncs.Modules);
}
