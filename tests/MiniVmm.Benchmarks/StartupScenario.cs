namespace MiniVmm.Benchmarks;

/// <summary>
/// One way of running the probe: `minivmm run --kernel probe.elf --memory 256M --cmdline exit=0`,
/// optionally with a 4-queue NIC on a TAP the VMM creates (and removes) itself, so the time and
/// memory of the NIC set-up (steering probes, BPF load, TAP queues, workers) show.
/// </summary>
public sealed record StartupScenario(string Name, string ProbeImage, int NetQueues, string Steering = "auto")
{
    public const ulong GuestMemoryMiB = 256;

    public ulong MemoryBytes => GuestMemoryMiB << 20;

    public bool WithNet => NetQueues > 0;

    /// <summary>Unique per benchmark process; the VMM creates it and removes it at exit.</summary>
    public string? TapName => WithNet ? $"mvstart{Environment.ProcessId % 100000}" : null;

    public IEnumerable<string> Arguments()
    {
        yield return "run";
        yield return "--kernel";
        yield return ProbeImage;
        yield return "--memory";
        yield return $"{GuestMemoryMiB}M";
        yield return "--cmdline";
        yield return "exit=0";
        if (WithNet)
        {
            yield return "--net";
            yield return Steering == "auto" ? $"tap={TapName},queues={NetQueues}" : $"tap={TapName},queues={NetQueues},steering={Steering}";
        }
    }

    /// <summary>The command line as a user would type it.</summary>
    public string Display(string cli) => string.Join(' ', new[] { cli }.Concat(Arguments().Select(a => a.Contains(' ') ? $"\"{a}\"" : a)));
}
