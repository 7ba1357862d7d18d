using System.Text.Json;
using Xunit;

namespace MiniVmm.Testing;

/// <summary>
/// The published Toeplitz vectors, read at test time from shared/vectors/toeplitz_msft.json next to the
/// repository (…/shared beside the repository root, or beside one of its parents, for worktrees).
/// Expected hashes always come from this file, never from the code under test.
/// </summary>
public static class ToeplitzVectors
{
    private static readonly Lazy<(byte[] Key, IReadOnlyList<ToeplitzVector> Vectors)> File = new(Load);

    public static byte[] Key => File.Value.Key;

    public static IReadOnlyList<ToeplitzVector> All => File.Value.Vectors;

    public static ToeplitzVector Get(string id) => All.Single(v => v.Id == id);

    public static TheoryData<string> Ids()
    {
        var data = new TheoryData<string>();
        foreach (var vector in All)
        {
            data.Add(vector.Id);
        }

        return data;
    }

    public static string FindFile()
    {
        string? directory = AppContext.BaseDirectory;
        while (directory is not null && !System.IO.File.Exists(Path.Combine(directory, "MiniVmm.sln")))
        {
            directory = Path.GetDirectoryName(directory);
        }

        if (directory is null)
        {
            throw new InvalidOperationException($"no MiniVmm.sln above {AppContext.BaseDirectory}");
        }

        string inRepository = Path.Combine(directory, "tests", "vectors", "toeplitz_msft.json");
        if (System.IO.File.Exists(inRepository))
        {
            return inRepository;
        }

        for (string? parent = Path.GetDirectoryName(directory); parent is not null; parent = Path.GetDirectoryName(parent))
        {
            string candidate = Path.Combine(parent, "shared", "vectors", "toeplitz_msft.json");
            if (System.IO.File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException($"no shared/vectors/toeplitz_msft.json beside {directory} or its parents");
    }

    private static (byte[], IReadOnlyList<ToeplitzVector>) Load()
    {
        using var document = JsonDocument.Parse(System.IO.File.ReadAllText(FindFile()));
        JsonElement root = document.RootElement;
        byte[] key = Convert.FromHexString(root.GetProperty("key").GetString()!);
        var vectors = root.GetProperty("vectors").EnumerateArray().Select(v => new ToeplitzVector(
            v.GetProperty("id").GetString()!,
            v.GetProperty("family").GetString()!,
            v.GetProperty("src_ip").GetString()!,
            v.GetProperty("dst_ip").GetString()!,
            (ushort)v.GetProperty("src_port").GetInt32(),
            (ushort)v.GetProperty("dst_port").GetInt32(),
            Convert.ToUInt32(v.GetProperty("hash_ip_only").GetString(), 16),
            Convert.ToUInt32(v.GetProperty("hash_with_ports").GetString(), 16),
            Convert.FromHexString(v.GetProperty("input_ip_only_hex").GetString()!),
            Convert.FromHexString(v.GetProperty("input_with_ports_hex").GetString()!))).ToList();
        return (key, vectors);
    }
}
