using MiniVmm.Bpf;
using MiniVmm.Rss;

namespace MiniVmm.HostNet.Steering;

/// <summary>Our steering program (plain or kfunc variant) on a real TAP; owns the program.</summary>
public sealed class TapSteeringProgram(Tap tap, RssSteeringProgram program) : ISteeringProgramAttachment
{
    public void Configure(RssConfiguration configuration) => program.Configure(configuration);

    // TUNSETSTEERINGEBPF is per device: any queue fd sets it for all queues.
    public void Attach() => program.AttachTo(tap.Queues[0].Handle);

    public void Detach()
    {
        if (!tap.IsDisposed) RssSteeringProgram.DetachFrom(tap.Queues[0].Handle);
    }

    public void Dispose() => program.Dispose();
}
