using MiniVmm.Bpf;
using MiniVmm.Rss;

namespace MiniVmm.Fuzzing.Rss;

/// <summary>
/// The slower differential: the managed classifier against the real steering program
/// (bpf/rss_steering.bpf.c) run by the kernel with BPF_PROG_TEST_RUN: same queue, hash value and
/// report for every frame and configuration (docs/RSS.md: every back end steers alike). Frames are
/// capped at 2 KiB (the kernel's test-run limit is about 3.5 KiB); needs permission to load BPF.
/// </summary>
public sealed class RssBpfTarget : IFuzzTarget
{
    public const int MaxFrameBytes = 2048;

    private readonly RssSteeringProgram _program = RssSteeringProgram.LoadEmbedded();

    public string Name => "rss-bpf";

    public OutcomeCounts Outcomes { get; } = new();

    public string Oracle => "managed classifier = the BPF steering program under BPF_PROG_TEST_RUN (queue, hash, report)";

    public void Run(ReadOnlySpan<byte> input)
    {
        RssCase c = RssCase.Read(input, MaxFrameBytes);
        _program.Configure(c.Configuration);
        RssResult managed = RssHasher.Compute(c.Frame, c.Configuration);
        RssResult bpf = _program.TestRun(c.Frame);
        Outcomes.Add(managed.HashReport.ToString());
        OracleViolationException.Check(managed == bpf, () => $"managed {managed} but BPF {bpf} for frame {Convert.ToHexString(c.Frame)}");
    }

    public void Dispose() => _program.Dispose();
}
