using System.Diagnostics;
using MiniVmm.Rss.Packets;
using MiniVmm.Rss;

namespace MiniVmm.Benchmarks;

/// <summary>
/// Managed classify+hash (RssHasher.Compute) in ns per frame for IPv4/TCP and IPv6/TCP, next to the C reference
/// reference/toeplitz_ref.c doing the same work, compiled here with gcc -O2 in the same run.
/// Usage: MiniVmm.Benchmarks rss [--iterations N] [--rounds R]. Goal: managed at most 1.2x the C time.
/// </summary>
public static class RssBenchmark
{
    private const int FramesPerSet = 256;
    private const int TableLength = 128;

    public static int Run(string[] args)
    {
        int iterations = IntOption(args, "--iterations", 20_000);
        int rounds = IntOption(args, "--rounds", 7);
        string source = FindReferenceSource();
        string directory = Directory.CreateTempSubdirectory("minivmm-rss-bench-").FullName;
        try
        {
            string binary = Path.Combine(directory, "toeplitz_ref");
            Exec("gcc", ["-O2", "-o", binary, source], out _);
            Console.WriteLine($"RSS classify+hash: {FramesPerSet} frames per set, {iterations} passes, best of {rounds} rounds; C: gcc -O2 {Path.GetFileName(source)}");
            Console.WriteLine($"{"set",-10} {"managed ns/frame",18} {"C ns/frame",12} {"ratio",7}");
            bool allAgree = true;
            double worst = 0;
            foreach (var (name, frames) in new[] { ("ipv4/tcp", Frames(ipv6: false)), ("ipv6/tcp", Frames(ipv6: true)) })
            {
                string framesFile = Path.Combine(directory, name.Replace('/', '-') + ".bin");
                WriteFrames(framesFile, frames);
                RssConfiguration config = RssConfiguration.Spread(4, TableLength);

                double managedBest = double.MaxValue;
                double nativeBest = double.MaxValue;
                uint managedChecksum = 0;
                uint nativeChecksum = 0;
                MeasureManaged(frames, config, iterations / 10); // warm up: tiered JIT to the optimized code
                for (int round = 0; round < rounds; round++)
                {
                    // Interleave so that noise from other processes hits both sides alike.
                    (double managed, managedChecksum) = MeasureManaged(frames, config, iterations);
                    (double native, nativeChecksum) = MeasureNative(binary, framesFile, iterations);
                    managedBest = Math.Min(managedBest, managed);
                    nativeBest = Math.Min(nativeBest, native);
                }

                double ratio = managedBest / nativeBest;
                worst = Math.Max(worst, ratio);
                bool agree = managedChecksum == nativeChecksum;
                allAgree &= agree;
                Console.WriteLine($"{name,-10} {managedBest,18:F2} {nativeBest,12:F2} {ratio,6:F2}x{(agree ? "" : "  RESULTS DIFFER")}");
            }

            Console.WriteLine($"worst ratio {worst:F2}x (goal <= 1.20x): {(worst <= 1.2 ? "met" : "NOT met")}");
            return allAgree ? 0 : 1;
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    /// <summary>TCP frames with varied addresses and ports (and a payload), like a busy receive queue.</summary>
    private static byte[][] Frames(bool ipv6)
    {
        var random = new Random(ipv6 ? 6 : 4);
        return Enumerable.Range(0, FramesPerSet).Select(_ =>
        {
            var builder = ipv6
                ? new FrameBuilder().IPv6($"2001:db8:{random.Next(65536):x}::{random.Next(1, 65536):x}", $"2001:db8:1::{random.Next(1, 65536):x}")
                : new FrameBuilder().IPv4($"10.{random.Next(256)}.{random.Next(256)}.{random.Next(1, 255)}", $"192.168.{random.Next(256)}.{random.Next(1, 255)}");
            return builder.Tcp((ushort)random.Next(1024, 65536), (ushort)random.Next(1, 1024)).WithPayloadLength(64).Build();
        }).ToArray();
    }

    private static (double NsPerFrame, uint Checksum) MeasureManaged(byte[][] frames, RssConfiguration config, int iterations)
    {
        uint checksum = 0;
        long start = Stopwatch.GetTimestamp();
        for (int iteration = 0; iteration < iterations; iteration++)
        {
            foreach (byte[] frame in frames)
            {
                RssResult result = RssHasher.Compute(frame, config);
                checksum += result.HashValue + ((uint)result.HashReport * 0x9E3779B9u) + result.Queue;
            }
        }

        double elapsedNs = Stopwatch.GetElapsedTime(start).TotalNanoseconds;
        return (elapsedNs / ((double)iterations * frames.Length), checksum);
    }

    private static (double NsPerFrame, uint Checksum) MeasureNative(string binary, string framesFile, int iterations)
    {
        Exec(binary, [framesFile, iterations.ToString(), ((uint)VirtioNetHashTypes.All).ToString(), TableLength.ToString()], out string output);
        // "ns_per_frame=12.345 checksum=0x... frames=N"
        var fields = output.Trim().Split(' ').Select(f => f.Split('=')).ToDictionary(f => f[0], f => f[1]);
        return (double.Parse(fields["ns_per_frame"], System.Globalization.CultureInfo.InvariantCulture), Convert.ToUInt32(fields["checksum"], 16));
    }

    private static void WriteFrames(string path, byte[][] frames)
    {
        using var file = File.Create(path);
        foreach (byte[] frame in frames)
        {
            file.WriteByte((byte)frame.Length);
            file.WriteByte((byte)(frame.Length >> 8));
            file.Write(frame);
        }
    }

    private static void Exec(string program, string[] arguments, out string output)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {program}");
        output = process.StandardOutput.ReadToEnd();
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{program} exited {process.ExitCode}: {errors.Trim()}");
        }
    }

    private static string FindReferenceSource()
    {
        for (string? directory = AppContext.BaseDirectory; directory is not null; directory = Path.GetDirectoryName(directory))
        {
            if (File.Exists(Path.Combine(directory, "MiniVmm.sln")))
            {
                return Path.Combine(directory, "tests", "MiniVmm.Benchmarks", "reference", "toeplitz_ref.c");
            }
        }

        throw new InvalidOperationException("no MiniVmm.sln above " + AppContext.BaseDirectory);
    }

    private static int IntOption(string[] args, string name, int fallback)
    {
        int index = Array.IndexOf(args, name);
        return index >= 0 && index + 1 < args.Length && int.TryParse(args[index + 1], out int value) && value > 0 ? value : fallback;
    }
}
