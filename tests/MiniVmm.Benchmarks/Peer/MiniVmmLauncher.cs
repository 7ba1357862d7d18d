using System.Diagnostics;

namespace MiniVmm.Benchmarks.Peer;

/// <summary>
/// out/bin/minivmm run --kernel probe.elf --net tap=NAME,queues=N,steering=S,hash-report=on|off
/// (the grammar of issue 3 item 5) on a TAP the benchmark created.
/// </summary>
public sealed class MiniVmmLauncher(string binary, string steering, bool hashReport) : ProbeVmLauncher
{
    public override string Label => $"minivmm {steering}{(hashReport ? "+hash" : "")}";

    public override bool HashReport => hashReport;

    public override bool NeedsMultiQueueTap(int queues) => true; // MiniVmm always opens its queues with IFF_MULTI_QUEUE

    public override ProcessStartInfo StartInfo(string probeElf, string probeArgs, string tap, int queues)
    {
        var info = new ProcessStartInfo(binary);
        foreach (string a in new[]
        {
            "run", "--kernel", probeElf, "--cmdline", probeArgs, "--memory", "256M",
            "--net", $"tap={tap},queues={queues},steering={steering},hash-report={(hashReport ? "on" : "off")}",
        })
        {
            info.ArgumentList.Add(a);
        }
        return info;
    }

    public override string? Unavailable() => RunHelpLacks(binary, "--net");

    /// <summary>Null when `<paramref name="binary"/> run --help` mentions <paramref name="word"/>, else why this binary cannot be used.</summary>
    public static string? RunHelpLacks(string binary, string word)
    {
        if (!File.Exists(binary)) return $"{binary} not found (./build.sh publishes it)";
        var help = Process.Start(new ProcessStartInfo(binary, "run --help") { RedirectStandardOutput = true, RedirectStandardError = true });
        if (help is null) return $"cannot start {binary}";
        string text = help.StandardOutput.ReadToEnd();
        help.WaitForExit(10_000);
        return text.Contains(word, StringComparison.Ordinal) ? null : $"{binary} run --help does not mention {word}";
    }
}
