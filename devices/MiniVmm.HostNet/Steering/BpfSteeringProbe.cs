using MiniVmm.Bpf;
using MiniVmm.Native;

namespace MiniVmm.HostNet.Steering;

/// <summary>The BPF layer's probes for steering selection: a real load + TUNSETSTEERINGEBPF, and kfuncs by name in kernel BTF.</summary>
public sealed class BpfSteeringProbe : IBpfProbe
{
    public ProbeResult CanLoadAndAttach(FileDescriptor tapQueue)
    {
        try
        {
            using RssSteeringProgram program = RssSteeringProgram.LoadEmbedded();
            program.AttachTo(tapQueue);
            RssSteeringProgram.DetachFrom(tapQueue);
            return new ProbeResult(true, "program loaded and attached with TUNSETSTEERINGEBPF");
        }
        catch (SyscallException e)
        {
            return new ProbeResult(false, e.Message);
        }
    }

    public bool KfuncExists(string name) => SteeringProbe.KernelFunctionExists(name, SteeringProbe.HashKfuncModules);
}
