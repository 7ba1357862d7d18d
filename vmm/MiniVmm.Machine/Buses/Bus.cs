namespace MiniVmm.Machine.Buses;

/// <summary>
/// Address ranges mapped to devices: one instance for port I/O, one for MMIO. Lookups are
/// lock-free (the sorted range array is replaced on registration, which happens at set-up and
/// when the guest moves a BAR). Accesses nobody claims read as all ones and are otherwise ignored.
/// </summary>
public sealed class Bus
{
    private readonly record struct Range(ulong Start, ulong Length, IBusDevice Device, ulong DeviceOffset)
    {
        public bool Contains(ulong address) => address >= Start && address - Start < Length;
    }

    private readonly object _lock = new();
    private readonly HashSet<ulong> _reportedUnknown = new();
    private Range[] _ranges = [];

    public Bus(string name)
    {
        Name = name;
    }

    public string Name { get; }

    /// <summary>
    /// Claims [start, start + length) for <paramref name="device"/>; overlapping claims are refused. The
    /// device sees offsets from <paramref name="deviceOffset"/> up, so one device can own two ranges with
    /// another's in between (the PCI host bridge at 0xCF8 and 0xCFC around the reset register at 0xCF9).
    /// An access is routed by its first address, so a dword at 0xCF8 reaches a range of length 1 there.
    /// </summary>
    public void Register(ulong start, ulong length, IBusDevice device, ulong deviceOffset = 0)
    {
        if (length == 0 || start + length - 1 < start) throw new ArgumentException($"{Name}: bad range 0x{start:x}+0x{length:x}");
        lock (_lock)
        {
            foreach (var r in _ranges)
            {
                if (start < r.Start + r.Length && r.Start < start + length)
                {
                    throw new InvalidOperationException($"{Name}: 0x{start:x}+0x{length:x} overlaps 0x{r.Start:x}+0x{r.Length:x}");
                }
            }
            var next = new List<Range>(_ranges) { new(start, length, device, deviceOffset) };
            next.Sort((a, b) => a.Start.CompareTo(b.Start));
            Volatile.Write(ref _ranges, next.ToArray());
        }
    }

    /// <summary>Drops the range that starts at <paramref name="start"/>, if any.</summary>
    public void Unregister(ulong start)
    {
        lock (_lock)
        {
            Volatile.Write(ref _ranges, _ranges.Where(r => r.Start != start).ToArray());
        }
    }

    /// <summary>Dispatches a read; false (and all-ones data) when no device claims the address.</summary>
    public bool Read(ulong address, Span<byte> data)
    {
        if (TryFind(address, out var range))
        {
            range.Device.Read(address - range.Start + range.DeviceOffset, data);
            return true;
        }
        data.Fill(0xFF);
        ReportUnknown(address, "read");
        return false;
    }

    /// <summary>Dispatches a write; false when no device claims the address (the write is dropped).</summary>
    public bool Write(ulong address, ReadOnlySpan<byte> data)
    {
        if (TryFind(address, out var range))
        {
            range.Device.Write(address - range.Start + range.DeviceOffset, data);
            return true;
        }
        ReportUnknown(address, "write");
        return false;
    }

    private bool TryFind(ulong address, out Range found)
    {
        Range[] ranges = Volatile.Read(ref _ranges);
        int lo = 0, hi = ranges.Length - 1;
        while (lo <= hi)
        {
            int mid = (lo + hi) >>> 1;
            if (ranges[mid].Contains(address)) { found = ranges[mid]; return true; }
            if (address < ranges[mid].Start) hi = mid - 1; else lo = mid + 1;
        }
        found = default;
        return false;
    }

    private void ReportUnknown(ulong address, string access)
    {
        if (!MachineLog.DebugEnabled) return;
        lock (_lock)
        {
            // Bounded: a guest scanning the address space must not grow this set without limit.
            if (_reportedUnknown.Count >= 256 || !_reportedUnknown.Add(address)) return;
        }
        MachineLog.Debug($"{Name}: unclaimed {access} at 0x{address:x} (reads 0xff, writes ignored)");
    }
}
