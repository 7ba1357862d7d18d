using MiniVmm.Fuzzing.Control;
using MiniVmm.Fuzzing.Pci;
using MiniVmm.Fuzzing.Queues;
using MiniVmm.Fuzzing.Rss;
using MiniVmm.Fuzzing.VhostUser;

namespace MiniVmm.Fuzzing;

/// <summary>Every fuzz target by name, in the order ./build.sh fuzz runs them.</summary>
public static class FuzzTargets
{
    private static readonly (string Name, Func<IFuzzTarget> Create)[] s_targets =
    [
        ("queue", () => new SplitQueueTarget()),
        ("control", () => new ControlQueueTarget()),
        ("vhost-user", () => new VhostUserTarget()),
        ("pci", () => new VirtioPciTarget()),
        ("rss", () => new RssReferenceTarget()),
        ("rss-bpf", () => new RssBpfTarget()),
    ];

    public static IReadOnlyList<string> Names { get; } = [.. s_targets.Select(t => t.Name)];

    public static IFuzzTarget Create(string name)
    {
        foreach ((string n, Func<IFuzzTarget> create) in s_targets)
        {
            if (n == name) return create();
        }
        throw new ArgumentException($"no fuzz target '{name}' (targets: {string.Join(", ", Names)})", nameof(name));
    }
}
