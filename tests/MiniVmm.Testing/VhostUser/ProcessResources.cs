namespace MiniVmm.Testing.VhostUser;

/// <summary>
/// What this process holds right now, for leak checks: open descriptors (/proc/self/fd),
/// mappings (/proc/self/maps) and threads by name (/proc/self/task/*/comm).
/// </summary>
public readonly record struct ProcessResources(int OpenFds, int Mappings)
{
    /// <summary>
    /// The counts now, after a full collection: descriptors that other tests dropped without
    /// disposing are closed by their finalizers first, so they do not move the count meanwhile.
    /// </summary>
    public static ProcessResources Now()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return new(Directory.GetFileSystemEntries("/proc/self/fd").Length, File.ReadAllLines("/proc/self/maps").Length);
    }

    /// <summary>This process's open descriptors now, by number, with what each refers to (its /proc/self/fd link).</summary>
    public static IReadOnlyDictionary<int, string> Descriptors()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        var all = new Dictionary<int, string>();
        foreach (string entry in Directory.GetFileSystemEntries("/proc/self/fd"))
        {
            try { all[int.Parse(Path.GetFileName(entry), System.Globalization.CultureInfo.InvariantCulture)] = File.ResolveLinkTarget(entry, false)?.ToString() ?? "?"; }
            catch (IOException) { } // the descriptor was closed while we looked (the listing's own one among them)
        }
        return all;
    }

    /// <summary>
    /// Descriptors open now that were not open in <paramref name="before"/> ("fd -> target"), leaving
    /// out the runtime's own event engines (an epoll instance and its wake-up pipe, created once, the
    /// first time any code in the process needs them): the vhost-user code opens sockets, eventfds
    /// and memfds, never those.
    /// </summary>
    public static IReadOnlyList<string> NewDescriptorsSince(IReadOnlyDictionary<int, string> before) =>
        [.. Descriptors()
            .Where(d => !(before.TryGetValue(d.Key, out string? was) && was == d.Value))
            .Where(d => d.Value != "anon_inode:[eventpoll]" && !d.Value.StartsWith("pipe:", StringComparison.Ordinal))
            .Select(d => $"{d.Key} -> {d.Value}")];

    /// <summary>
    /// Waits (bounded) until no thread is named <paramref name="prefix"/>: a joined thread's kernel
    /// task can linger for a moment after Join returns. Returns how many are left.
    /// </summary>
    public static int WaitForNoThreadsNamed(string prefix, TimeSpan timeout)
    {
        long deadline = Environment.TickCount64 + (long)timeout.TotalMilliseconds;
        int left;
        while ((left = ThreadsNamed(prefix)) > 0 && Environment.TickCount64 < deadline) Thread.Yield();
        return left;
    }

    /// <summary>Threads whose kernel name starts with <paramref name="prefix"/> (names are cut to 15 characters).</summary>
    public static int ThreadsNamed(string prefix) => Directory.GetDirectories("/proc/self/task")
        .Count(t =>
        {
            try { return File.ReadAllText(Path.Combine(t, "comm")).StartsWith(prefix, StringComparison.Ordinal); }
            catch (IOException) { return false; } // the thread ended while we looked
        });

    /// <summary>Mappings whose line mentions <paramref name="text"/> (a memfd's name shows as "/memfd:NAME (deleted)").</summary>
    public static int MappingsOf(string text) => File.ReadAllLines("/proc/self/maps").Count(l => l.Contains(text, StringComparison.Ordinal));
}
