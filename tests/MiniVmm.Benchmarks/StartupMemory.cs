using System.Globalization;

namespace MiniVmm.Benchmarks;

/// <summary>
/// The VMM's own peak RSS, read from /proc while the process is frozen (SIGSTOP): VmHWM (the
/// high-water mark of the whole address space) minus the Rss of the guest-RAM mapping.
/// Guest RAM is one MAP_NORESERVE anonymous mapping exactly as large as --memory (GuestRam.cs);
/// its resident pages are the pages the VMM's loader and the guest touched, and they only grow
/// (nothing here reclaims them), so at the instant of the reading VmHWM - guest Rss is the peak of
/// everything else: runtime, heap, JIT code, stacks, the mapped binary and libraries.
/// </summary>
public readonly record struct StartupMemory(long HwmKib, long GuestRssKib)
{
    public double VmmMib => (HwmKib - GuestRssKib) / 1024.0;

    public double GuestMib => GuestRssKib / 1024.0;

    public static StartupMemory Read(int pid, ulong guestBytes) =>
        new(ReadStatusKib(pid, "VmHWM:"), GuestRamRssKib(pid, guestBytes));

    private static long ReadStatusKib(int pid, string key)
    {
        string line = File.ReadLines($"/proc/{pid}/status").First(l => l.StartsWith(key, StringComparison.Ordinal));
        return ParseKib(line[key.Length..]);
    }

    /// <summary>The Rss of the one anonymous mapping exactly as large as guest RAM; fails if that is ambiguous.</summary>
    private static long GuestRamRssKib(int pid, ulong guestBytes)
    {
        long? found = null;
        int matches = 0;
        bool inGuestRam = false;
        foreach (string line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            if (line.StartsWith("Size:", StringComparison.Ordinal))
                inGuestRam = ParseKib(line[5..]) * 1024 == (long)guestBytes;
            else if (inGuestRam && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                found = ParseKib(line[4..]);
                matches++;
                inGuestRam = false;
            }
        }
        if (matches != 1)
            throw new InvalidOperationException($"expected one {guestBytes >> 20} MiB mapping (guest RAM) in /proc/{pid}/smaps, found {matches}");
        return found!.Value;
    }

    private static long ParseKib(string field) =>
        long.Parse(field.Trim().Split(' ')[0], CultureInfo.InvariantCulture);
}
