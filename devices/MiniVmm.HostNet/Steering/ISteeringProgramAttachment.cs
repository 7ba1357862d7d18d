using MiniVmm.Rss;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// A loaded steering program and the TAP it steers, as a back end drives them: <see cref="TapSteeringProgram"/>
/// (our BPF program and TUNSETSTEERINGEBPF) in production, a recorder in tests. Dispose unloads the program.
/// </summary>
public interface ISteeringProgramAttachment : IDisposable
{
    /// <summary>Writes the configuration into the program's maps (takes effect at once when attached).</summary>
    void Configure(RssConfiguration configuration);

    /// <summary>TUNSETSTEERINGEBPF with the program: it now picks the queue of every packet.</summary>
    void Attach();

    /// <summary>TUNSETSTEERINGEBPF with -1: the kernel's automatic steering again. Nothing when the TAP is gone.</summary>
    void Detach();
}
