using MiniVmm.Fuzzing.Control;
using MiniVmm.Fuzzing.Pci;
using MiniVmm.Fuzzing.Queues;
using MiniVmm.Fuzzing.Rss;
using MiniVmm.Fuzzing.VhostUser;

namespace MiniVmm.Fuzzing;

/// <summary>
/// The seed corpora, generated from the project's own drivers and builders (so a seed is a
/// well-formed scenario the fuzzer mutates from) and written as seed-NNN files. Regenerating
/// replaces the seed files only; inputs the fuzzer found (other names) stay.
/// </summary>
public static class SeedCorpus
{
    public static IEnumerable<byte[]> For(string target) => target switch
    {
        "queue" => QueueSeeds.Create(),
        "control" => ControlSeeds.Create(),
        "vhost-user" => VhostUserSeeds.Create(),
        "pci" => PciSeeds.Create(),
        "rss" => RssSeeds.Create(65535),
        "rss-bpf" => RssSeeds.Create(Rss.RssBpfTarget.MaxFrameBytes),
        _ => throw new ArgumentException($"no seeds for '{target}'", nameof(target)),
    };

    public static int Write(string target, string directory)
    {
        Directory.CreateDirectory(directory);
        foreach (string old in Directory.GetFiles(directory, "seed-*")) File.Delete(old);
        int n = 0;
        foreach (byte[] seed in For(target))
        {
            File.WriteAllBytes(Path.Combine(directory, $"seed-{n++:D3}"), seed);
        }
        return n;
    }
}
