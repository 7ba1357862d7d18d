using MiniVmm.Bpf;
using MiniVmm.Rss;

namespace MiniVmm.Cli.Commands;

/// <summary>`minivmm rss --engine bpf`: the real steering program, run by the kernel through BPF_PROG_TEST_RUN.</summary>
public sealed class BpfRssEngine : RssEngine
{
    private readonly RssSteeringProgram _program;

    public BpfRssEngine(RssConfiguration config)
    {
        _program = RssSteeringProgram.LoadEmbedded();
        try
        {
            _program.Configure(config);
        }
        catch
        {
            _program.Dispose();
            throw;
        }
    }

    public override string Name => "bpf";

    public override RssResult Compute(ReadOnlySpan<byte> frame) => _program.TestRun(frame);

    public override void Dispose()
    {
        _program.Dispose();
        base.Dispose();
    }
}
