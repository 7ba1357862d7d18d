using System.Globalization;

namespace MiniVmm.Benchmarks;

/// <summary>
/// The VMM's own peak RSS, read from /proc while the process is frozen (SIGSTOP): VmHWM (the
/// high-water mark of the whole address space) minus the Rss of the guest-RAM mapping.
/// Guest RAM is one MAP_NORESERVE anonymous mapping as large as --memory (GuestRam.cs);
/// its resident pages are the pages the VMM's loader and the guest touched, and they only grow
/// (nothing here reclaims them). So VmHWM - guest Rss is the peak of everything else (runtime,
/// heap, JIT code, stacks, the mapped binary and libraries) when guest RAM did not grow after
/// that peak, and too low by at most that growth otherwise: the true figure lies in [VmmMib, HWM].
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

    /// <summary>
    /// The Rss of guest RAM. The kernel may merge the guest mapping with an adjacent anonymous
    /// mapping of the same flags (seen: 256 MiB + 132 KiB), so the mapping is the one private
    /// rw anonymous VMA of at least guest size and less than 16 MiB more, and every KiB beyond guest
    /// size is counted as the VMM's own (resident or not): the VMM figure errs high, never low.
    /// </summary>
    private static long GuestRamRssKib(int pid, ulong guestBytes)
    {
        long guestKib = (long)(guestBytes >> 10);
        var found = new List<long>();
        bool candidate = false;
        long sizeKib = 0;
        foreach (string line in File.ReadLines($"/proc/{pid}/smaps"))
        {
            if (IsMappingHeader(line))
            {
                string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                candidate = f.Length == 5 && f[1] == "rw-p" && f[4] == "0"; // no path: anonymous
            }
            else if (candidate && line.StartsWith("Size:", StringComparison.Ordinal))
            {
                sizeKib = ParseKib(line[5..]);
                candidate = sizeKib >= guestKib && sizeKib < guestKib + (16 << 10);
            }
            else if (candidate && line.StartsWith("Rss:", StringComparison.Ordinal))
            {
                found.Add(Math.Max(0, ParseKib(line[4..]) - (sizeKib - guestKib)));
                candidate = false;
            }
        }
        if (found.Count != 1)
            throw new InvalidOperationException($"expected one anonymous mapping of {guestBytes >> 20} MiB (guest RAM) in /proc/{pid}/smaps, found {found.Count}");
        return found[0];
    }

    private static bool IsMappingHeader(string line)
    {
        int dash = line.IndexOf('-');
        return dash > 0 && line.Length > dash + 1 && Uri.IsHexDigit(line[0]) && Uri.IsHexDigit(line[dash + 1]) && line.Contains(' ');
    }

    private static long ParseKib(string field) =>
        long.Parse(field.Trim().Split(' ')[0], CultureInfo.InvariantCulture);
}
