using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace MiniVmm.Benchmarks.Tap;

/// <summary>
/// Instructions per packet of the tap benchmark's four loops, counted by valgrind --tool=callgrind
/// (these machines have no hardware counters): each loop runs in its own process, the NativeAOT
/// build of this program (callgrind cannot follow JIT code by name), collecting only inside
/// <see cref="TapLoop"/>'s measured region. User-space instructions only: the kernel's share of each
/// read()/write() is not in the count, so device minus plain is what the device path adds per packet.
/// Usage: MiniVmm.Benchmarks callgrind --binary PATH [--packets N] [--sizes 64,1514] [--json]
/// </summary>
public static class CallgrindBenchmark
{
    private static readonly string[] Loops = ["plain-rx", "device-rx", "plain-tx", "device-tx"];

    public static int Run(string[] args)
    {
        string? binary = null;
        long packets = 20_000;
        int[] sizes = [64, 1514];
        bool json = false;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--binary" when value is not null: binary = value; i++; break;
                case "--packets" when long.TryParse(value, CultureInfo.InvariantCulture, out packets) && packets > 0: i++; break;
                case "--sizes" when value is not null: sizes = value.Split(',').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray(); i++; break;
                case "--json": json = true; break;
                default:
                    Console.Error.WriteLine($"callgrind benchmark: bad argument '{args[i]}' (use --binary PATH --packets N --sizes 64,1514 --json)");
                    return 2;
            }
        }
        if (binary is null || !File.Exists(binary))
        {
            Console.Error.WriteLine($"callgrind benchmark: --binary {binary}: the NativeAOT build of the benchmarks is needed (./build.sh bench callgrind publishes it)");
            return 2;
        }
        TextWriter output = json ? Console.Error : Console.Out;
        output.WriteLine($"callgrind: {binary}, {packets} packets per loop; {HostInterface.LoadAverage()} (instruction counts do not depend on it)");
        output.WriteLine($"{"loop",-10} {"frame",6} {"instructions/packet",20}");
        var results = new List<object>();
        foreach (int size in sizes)
        {
            var perPacket = new Dictionary<string, double>();
            foreach (string loop in Loops)
            {
                (long instructions, long moved) = Count(binary, loop, size, packets);
                perPacket[loop] = instructions / (double)moved;
                output.WriteLine($"{loop,-10} {size,5}B {perPacket[loop],20:F0}");
                results.Add(new { loop, frameBytes = size, packets = moved, instructions, instructionsPerPacket = perPacket[loop] });
            }
            output.WriteLine($"device path adds, {size}B: RX {perPacket["device-rx"] - perPacket["plain-rx"]:F0}, TX {perPacket["device-tx"] - perPacket["plain-tx"]:F0} instructions/packet (user space)");
        }
        if (json) Console.WriteLine(JsonSerializer.Serialize(new { benchmark = "callgrind", packets, results }, new JsonSerializerOptions { WriteIndented = true }));
        return 0;
    }

    private static (long Instructions, long Packets) Count(string binary, string loop, int size, long packets)
    {
        string outFile = Path.Combine(Path.GetTempPath(), $"minivmm-callgrind-{Environment.ProcessId}-{loop}-{size}.out");
        var info = new ProcessStartInfo("valgrind") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (string a in new[]
        {
            "--tool=callgrind", "--toggle-collect=*TapLoop__Measured*", $"--callgrind-out-file={outFile}",
            binary, "tap-loop", loop, size.ToString(CultureInfo.InvariantCulture), packets.ToString(CultureInfo.InvariantCulture),
        })
        {
            info.ArgumentList.Add(a);
        }
        // The GC reserves far less address space with a hard limit, which valgrind needs.
        info.Environment["DOTNET_GCHeapHardLimit"] = "0x20000000";
        using Process p = Process.Start(info) ?? throw new InvalidOperationException("cannot start valgrind");
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        string stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        try
        {
            if (p.ExitCode != 0) throw new InvalidOperationException($"valgrind {loop} {size}: exit {p.ExitCode}: {stderr.Result.Trim().Split('\n').LastOrDefault()}");
            long moved = long.Parse(stdout.Split("packets=")[1].Trim(), CultureInfo.InvariantCulture);
            // callgrind's file ends with "totals: <Ir>" (or "summary:"), the events collected in the region.
            string? totals = File.ReadLines(outFile).LastOrDefault(l => l.StartsWith("totals:", StringComparison.Ordinal) || l.StartsWith("summary:", StringComparison.Ordinal));
            long instructions = long.Parse(totals?.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1] ?? "0", CultureInfo.InvariantCulture);
            return (instructions, moved);
        }
        finally
        {
            File.Delete(outFile);
        }
    }
}
