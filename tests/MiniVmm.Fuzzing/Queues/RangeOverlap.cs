namespace MiniVmm.Fuzzing.Queues;

/// <summary>Whether ranges of different groups overlap, in O(n log n) (a chain may have thousands of buffers).</summary>
public static class RangeOverlap
{
    public static bool BetweenGroups(List<(int Group, ByteRange Range)> ranges)
    {
        ranges.Sort((a, b) => a.Range.Start.CompareTo(b.Range.Start));
        // The two largest ends seen so far that belong to different groups.
        ulong firstEnd = 0, secondEnd = 0;
        int firstGroup = -1;
        foreach ((int group, ByteRange range) in ranges)
        {
            if (range.Length == 0) continue;
            if (range.Start < firstEnd && group != firstGroup) return true;
            if (range.Start < secondEnd) return true; // secondEnd's group differs from firstGroup, and so from this one or from firstGroup's
            if (range.End > firstEnd)
            {
                if (group != firstGroup) { secondEnd = firstEnd; firstGroup = group; }
                firstEnd = range.End;
            }
            else if (group != firstGroup && range.End > secondEnd)
            {
                secondEnd = range.End;
            }
        }
        return false;
    }
}
