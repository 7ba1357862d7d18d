using MiniVmm.Rss;

namespace MiniVmm.Cli.Commands;

/// <summary>
/// What `minivmm rss` runs each frame through: the managed classifier, or (wired by the host layer through
/// <see cref="RssCommand.BpfEngineFactory"/>) the steering BPF program via BPF_PROG_TEST_RUN.
/// </summary>
public abstract class RssEngine : IDisposable
{
    /// <summary>Short name for messages: "managed" or "bpf".</summary>
    public abstract string Name { get; }

    /// <summary>Hash value, report and queue for one Ethernet frame.</summary>
    public abstract RssResult Compute(ReadOnlySpan<byte> frame);

    /// <summary>Releases what the engine holds (a loaded BPF program); nothing for the managed one.</summary>
    public virtual void Dispose() => GC.SuppressFinalize(this);
}
