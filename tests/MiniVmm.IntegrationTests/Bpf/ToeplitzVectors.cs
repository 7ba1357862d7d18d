using System.Globalization;
using System.Text.Json;
using MiniVmm.IntegrationTests.Infrastructure;

namespace MiniVmm.IntegrationTests.Bpf;

/// <summary>
/// The published Microsoft RSS vectors, read at test time from shared/vectors/toeplitz_msft.json
/// beside the repository root (the first ancestor of the root that has it, so worktrees work too).
/// </summary>
public static class ToeplitzVectors
{
    public sealed record Vector(string Id, string Family, string SourceIp, string DestinationIp,
        ushort SourcePort, ushort DestinationPort, uint HashIpOnly, uint HashWithPorts);

    private static readonly Lazy<(byte[] Key, IReadOnlyList<Vector> Vectors)> s_file = new(Read);

    public static byte[] Key => s_file.Value.Key;

    public static IReadOnlyList<Vector> All => s_file.Value.Vectors;

    public static Vector ById(string id) => All.Single(v => v.Id == id);

    /// <summary>The ids, for [MemberData].</summary>
    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var v in All) data.Add(v.Id);
        return data;
    }

    public static string FilePath
    {
        get
        {
            string inRepository = Path.Combine(RepoPaths.Root, "tests", "vectors", "toeplitz_msft.json");
            if (File.Exists(inRepository)) return inRepository;
            for (string? dir = RepoPaths.Root; dir is not null; dir = Path.GetDirectoryName(dir))
            {
                string candidate = Path.Combine(dir, "shared", "vectors", "toeplitz_msft.json");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException($"shared/vectors/toeplitz_msft.json not found beside {RepoPaths.Root} or any ancestor");
        }
    }

    private static (byte[], IReadOnlyList<Vector>) Read()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(FilePath));
        var root = doc.RootElement;
        byte[] key = Convert.FromHexString(root.GetProperty("key").GetString()!);
        var vectors = root.GetProperty("vectors").EnumerateArray().Select(v => new Vector(
            v.GetProperty("id").GetString()!,
            v.GetProperty("family").GetString()!,
            v.GetProperty("src_ip").GetString()!,
            v.GetProperty("dst_ip").GetString()!,
            (ushort)v.GetProperty("src_port").GetInt32(),
            (ushort)v.GetProperty("dst_port").GetInt32(),
            ParseHex(v.GetProperty("hash_ip_only").GetString()!),
            ParseHex(v.GetProperty("hash_with_ports").GetString()!))).ToList();
        return (key, vectors);
    }

    private static uint ParseHex(string s) => uint.Parse(s.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
