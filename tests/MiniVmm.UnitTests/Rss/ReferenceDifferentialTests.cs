using System.Diagnostics;
using MiniVmm.Rss;

namespace MiniVmm.UnitTests.Rss;

/// <summary>
/// The managed engine against the C reference of the benchmark (tests/MiniVmm.Benchmarks/reference/toeplitz_ref.c,
/// compiled here with gcc), frame by frame: the benchmark's "same work" claim, and a second implementation of
/// docs/RSS.md's rules to catch a rule one of them gets wrong.
/// </summary>
public sealed class ReferenceDifferentialTests
{
    [Theory]
    [InlineData((uint)VirtioNetHashTypes.All, 128)]
    [InlineData((uint)(VirtioNetHashTypes.IPv4 | VirtioNetHashTypes.UdpV4 | VirtioNetHashTypes.IPv6 | VirtioNetHashTypes.TcpV6 | VirtioNetHashTypes.IPv6Ex | VirtioNetHashTypes.UdpV6Ex), 8)]
    [InlineData((uint)(VirtioNetHashTypes.TcpV4 | VirtioNetHashTypes.TcpV6Ex), 1)]
    public void ManagedAndCReferenceAgreeOnEveryFrame(uint types, int tableLength)
    {
        var random = new Random((int)types ^ tableLength);
        byte[][] frames = Enumerable.Range(0, 40_000).Select(i => i % 2 == 0 ? RandomFrames.WellFormed(random) : RandomFrames.Mutated(random)).ToArray();
        string directory = Directory.CreateTempSubdirectory("minivmm-rss-diff-").FullName;
        try
        {
            string binary = Path.Combine(directory, "toeplitz_ref");
            Run("gcc", ["-O2", "-o", binary, ReferenceSource()]);
            string framesFile = Path.Combine(directory, "frames.bin");
            using (var file = File.Create(framesFile))
            {
                foreach (byte[] frame in frames)
                {
                    file.Write([(byte)frame.Length, (byte)(frame.Length >> 8)]);
                    file.Write(frame);
                }
            }

            string[] lines = Run(binary, [framesFile, "0", types.ToString(), tableLength.ToString()]).Split('\n', StringSplitOptions.RemoveEmptyEntries);

            // The reference's configuration: the default key, table[i] = i % 4, unclassified queue 0.
            var config = new RssConfiguration
            {
                HashTypes = (VirtioNetHashTypes)types,
                Key = RssConfiguration.DefaultKey.ToArray(),
                IndirectionTable = Enumerable.Range(0, tableLength).Select(i => (ushort)(i % 4)).ToArray(),
                UnclassifiedQueue = 0,
            };
            Assert.Equal(frames.Length, lines.Length);
            int hashed = 0;
            for (int i = 0; i < frames.Length; i++)
            {
                RssResult result = RssHasher.Compute(frames[i], config);
                string managed = $"{result.HashValue:x8} {(int)result.HashReport} {result.Queue}";
                Assert.True(lines[i] == managed, $"frame {i} {Convert.ToHexString(frames[i])}: C {lines[i]}, managed {managed}");
                hashed += result.HashReport == VirtioNetHashReport.None ? 0 : 1;
            }

            Assert.True(hashed > frames.Length / 20, $"only {hashed} frames hashed");
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static string ReferenceSource()
    {
        for (string? directory = AppContext.BaseDirectory; directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "MiniVmm.sln")))
            {
                return Path.Combine(directory, "tests", "MiniVmm.Benchmarks", "reference", "toeplitz_ref.c");
            }
        }

        throw new InvalidOperationException($"no MiniVmm.sln above {AppContext.BaseDirectory}");
    }

    private static string Run(string program, string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> output = process.StandardOutput.ReadToEndAsync();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} exited {process.ExitCode}: {errors}");
        return output.Result;
    }
}
