using System.Diagnostics;
using System.Text;
using MiniVmm.Bpf;
using MiniVmm.IntegrationTests.Infrastructure;
using MiniVmm.Rss;
using Xunit.Abstractions;

namespace MiniVmm.IntegrationTests.Differential;

/// <summary>
/// The managed classifier (<see cref="RssHasher.Compute"/>) and the real BPF steering program
/// (<see cref="RssSteeringProgram.LoadEmbedded"/>, run with BPF_PROG_TEST_RUN) must give every frame
/// the same queue, the same hash value and the same hash report (docs/RSS.md: every back end steers
/// alike). 7 configurations × 20,000 generated and mutated frames = 140,000 frames, plus 10,000 for
/// the kfunc variant of the object. The seed is fixed (override with MINIVMM_DIFF_SEED) and printed
/// with the first differing frames on failure.
/// <para>
/// Padding: TestRun zero-pads frames shorter than 54 bytes (the kernel refuses them) and passes the
/// true length in cb[0] (docs/BPF.md). The managed engine is given the unpadded frame, so a program
/// that read the padding as packet bytes would differ here; the test also checks that its frames
/// include many short ones whose answer the padding would change, so that path is really exercised.
/// </para>
/// </summary>
public sealed class ManagedVersusBpfTests(ITestOutputHelper output)
{
    private const int FramesPerConfiguration = 20_000;
    private const int BaseSeed = 20261125;
    private const int MismatchesShown = 5;

    private static readonly byte[] s_shortKey = [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef, 0xfe, 0xdc, 0xba, 0x98, 0x76];

    /// <summary>The configurations by name: hash-type sets, table lengths, keys and unclassified queues that differ.</summary>
    public static TheoryData<string> Configurations() => new(s_configurations.Keys);

    private static readonly Dictionary<string, RssConfiguration> s_configurations = new()
    {
        ["all-types-128-over-4"] = Make(VirtioNetHashTypes.All, Spread(128, 4), RssConfiguration.DefaultKey.ToArray(), 3),
        ["ipv4-types-64-over-3"] = Make(VirtioNetHashTypes.IPv4 | VirtioNetHashTypes.TcpV4 | VirtioNetHashTypes.UdpV4, Spread(64, 3), RssConfiguration.DefaultKey.ToArray(), 2),
        ["tcp-only-16-over-5"] = Make(VirtioNetHashTypes.TcpV4 | VirtioNetHashTypes.TcpV6 | VirtioNetHashTypes.TcpV6Ex, Spread(16, 5), RandomKey(1), 4),
        ["ex-only-identity-128"] = Make(VirtioNetHashTypes.IPv6Ex | VirtioNetHashTypes.TcpV6Ex | VirtioNetHashTypes.UdpV6Ex, Identity(128), RssConfiguration.DefaultKey.ToArray(), 200),
        ["all-types-table-of-1"] = Make(VirtioNetHashTypes.All, [5], RandomKey(2), 6),
        ["mixed-types-table-of-2-key-13-bytes"] = Make(VirtioNetHashTypes.UdpV4 | VirtioNetHashTypes.IPv6 | VirtioNetHashTypes.TcpV6 | VirtioNetHashTypes.UdpV6Ex, [9, 4], s_shortKey, 1),
        ["ipv6-and-ex-identity-8"] = Make(VirtioNetHashTypes.IPv6 | VirtioNetHashTypes.UdpV6 | VirtioNetHashTypes.IPv6Ex | VirtioNetHashTypes.TcpV6Ex, Identity(8), RandomKey(3), 11),
    };

    [HostTheory(HostNeeds.Bpf)]
    [MemberData(nameof(Configurations))]
    public void Managed_and_bpf_agree_on_every_frame(string configurationName)
    {
        int index = s_configurations.Keys.ToList().IndexOf(configurationName);
        using RssSteeringProgram program = RssSteeringProgram.LoadEmbedded();
        Compare(program, configurationName, s_configurations[configurationName], Seed() + index, FramesPerConfiguration);
    }

    [HostFact(HostNeeds.Bpf)]
    public void The_kfunc_variant_agrees_too()
    {
        using RssSteeringProgram program = RssSteeringProgram.LoadEmbedded(withHashKfuncs: true);
        Compare(program, "kfunc-object-all-types", s_configurations["all-types-128-over-4"], Seed() + 100, 10_000);
    }

    private void Compare(RssSteeringProgram program, string name, RssConfiguration config, int seed, int count)
    {
        program.Configure(config);
        var frames = new DifferentialFrames(seed);
        var report = new StringBuilder();
        int mismatches = 0, padded = 0, paddingSensitive = 0, hashed = 0;
        var queues = new HashSet<ushort>();
        var stopwatch = Stopwatch.StartNew();
        TimeSpan inBpf = TimeSpan.Zero;
        for (int i = 0; i < count; i++)
        {
            byte[] frame = frames.Next(out string kind);
            RssResult managed = RssHasher.Compute(frame, config);
            long before = Stopwatch.GetTimestamp();
            RssResult bpf = program.TestRun(frame);
            inBpf += Stopwatch.GetElapsedTime(before);
            if (managed.HashReport != VirtioNetHashReport.None) hashed++;
            queues.Add(managed.Queue);
            if (frame.Length < RssSteeringProgram.MinimumTestFrameBytes)
            {
                padded++;
                byte[] zeroPadded = new byte[RssSteeringProgram.MinimumTestFrameBytes];
                frame.CopyTo(zeroPadded, 0);
                if (RssHasher.Compute(zeroPadded, config) != managed) paddingSensitive++;
            }
            if (managed != bpf)
            {
                if (++mismatches <= MismatchesShown)
                {
                    report.AppendLine($"  frame {i} ({kind}), {frame.Length} bytes: managed {managed}, bpf {bpf}");
                    report.AppendLine($"    {Convert.ToHexString(frame)}");
                }
            }
        }
        stopwatch.Stop();
        output.WriteLine($"{name}: seed {seed}, {count} frames in {stopwatch.Elapsed.TotalSeconds:F2} s " +
                         $"({inBpf.TotalMicroseconds / count:F1} us per TestRun), {hashed} hashed, {queues.Count} distinct queues, " +
                         $"{padded} padded for TestRun ({paddingSensitive} of them answer differently when zero-padded), {mismatches} mismatches");

        Assert.True(mismatches == 0,
            $"{name}: {mismatches} of {count} frames differ between RssHasher.Compute and the BPF program (seed {seed}; base seed {Seed()}, set MINIVMM_DIFF_SEED to change it); first ones:\n{report}");
        // The stream must really cover what it claims, or agreeing proves little.
        Assert.True(hashed > count / 20, $"{name}: only {hashed} of {count} frames were hashed");
        // Only a non-_EX type can hash a frame of at most 54 bytes (no room for an extension header).
        bool paddingCanMatter = (config.HashTypes & ~(VirtioNetHashTypes.IPv6Ex | VirtioNetHashTypes.TcpV6Ex | VirtioNetHashTypes.UdpV6Ex)) != 0;
        Assert.True(!paddingCanMatter || paddingSensitive > 50, $"{name}: only {paddingSensitive} short frames depend on their true length; the padding path is barely exercised");
        Assert.True(queues.Count >= Math.Min(3, config.IndirectionTable.Distinct().Count() + 1), $"{name}: frames reached only {queues.Count} queues");
    }

    private static int Seed() =>
        int.TryParse(Environment.GetEnvironmentVariable("MINIVMM_DIFF_SEED"), out int seed) ? seed : BaseSeed;

    private static RssConfiguration Make(VirtioNetHashTypes types, ushort[] table, byte[] key, ushort unclassified) => new()
    {
        HashTypes = types,
        Key = key,
        IndirectionTable = table,
        UnclassifiedQueue = unclassified,
    };

    /// <summary>A scrambled spread, so neighbouring hashes do not map to neighbouring queues.</summary>
    private static ushort[] Spread(int length, int queues) => Enumerable.Range(0, length).Select(i => (ushort)((i * 7 + 2) % queues)).ToArray();

    /// <summary>table[i] = i: the queue shows the low hash bits.</summary>
    private static ushort[] Identity(int length) => Enumerable.Range(0, length).Select(i => (ushort)i).ToArray();

    private static byte[] RandomKey(int seed)
    {
        var key = new byte[RssConfiguration.MaxKeyBytes];
        new Random(seed).NextBytes(key);
        return key;
    }
}
