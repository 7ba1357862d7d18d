using MiniVmm.Memory;
using MiniVmm.Testing;

namespace MiniVmm.Fuzzing.Queues;

/// <summary>
/// Seeds of the queue target: well-formed receive and transmit rings laid out by the test driver
/// (<see cref="VirtqueueDriver"/>; direct, indirect, mergeable, hash header, EVENT_IDX, a packet that
/// waits for buffers across rounds) and a few classic hostile chains (a loop, next out of range,
/// readable after writable, nested indirect). Each round's patches are what the driver changed in memory.
/// </summary>
internal static class QueueSeeds
{
    private const ushort Desc = 0x0000, Avail = 0x1000, Used = 0x2000, Buffers = 0x3000;

    public static IEnumerable<byte[]> Create()
    {
        yield return Seed(QueueMode.None, 16, [d => Post(d, 8, 2048)], [[60, 1500, 64]]);
        yield return Seed(QueueMode.MergeableRxBuffers, 32, [d => Post(d, 16, 256)], [[1000, 60, 3000]]);
        yield return Seed(QueueMode.HashReport | QueueMode.EventIdx | QueueMode.BackendHashHeader, 8,
            [d => { for (int i = 0; i < 4; i++) d.AddChain((At(i, 0), 20, true), (At(i, 20), 2028, true)); }], [[74, 590]]);
        yield return Seed(QueueMode.IndirectDesc, 8,
            [d => { for (int i = 0; i < 3; i++) d.AddIndirectChain(At(i + 8, 0), (At(i, 0), 12, true), (At(i, 12), 1800, true)); }], [[1514, 42]]);
        yield return Seed(QueueMode.MergeableRxBuffers | QueueMode.SetBase, 4, [d => Post(d, 2, 1024), d => Post(d, 2, 1024)], [[60, 60, 1500], []]);
        yield return Seed(QueueMode.Transmit, 16, [d => { for (int i = 0; i < 4; i++) d.AddChain((At(i, 0), 12u, false), (At(i, 12), (uint)(60 + 100 * i), false)); }], [[]]);
        yield return Seed(QueueMode.Transmit | QueueMode.EventIdx | QueueMode.HashReport, 8,
            [d => { for (int i = 0; i < 3; i++) d.AddChain((At(i, 0), 20 + 64, false)); }], [[]]);
        yield return Seed(QueueMode.Transmit | QueueMode.IndirectDesc | QueueMode.Offloads, 8,
            [d => { for (int i = 0; i < 2; i++) d.AddIndirectChain(At(i + 8, 0), (At(i, 0), 12u, false), (At(i, 12), 54u, false), (At(i, 66), 1400u, false)); }], [[]]);
        // Hostile: a two-descriptor loop, next past the queue, readable after writable, indirect inside indirect.
        yield return Seed(QueueMode.None, 8, [d => { d.WriteDescriptor(0, At(0, 0).Value, 64, 3, 1); d.WriteDescriptor(1, At(1, 0).Value, 64, 3, 0); d.Publish(0); }], [[60]]);
        yield return Seed(QueueMode.Transmit, 8, [d => { d.WriteDescriptor(0, At(0, 0).Value, 64, 1, 9); d.Publish(0); }], [[]]);
        yield return Seed(QueueMode.None, 8, [d => d.AddChain((At(0, 0), 64, true), (At(0, 64), 64, false))], [[60]]);
        yield return Seed(QueueMode.IndirectDesc, 8, [d => d.AddIndirectChain(At(9, 0), (At(10, 0), 32, true))], [[60]]);
    }

    private static GuestAddress At(int buffer, int offset) => new((ulong)(Buffers + 0x800 * buffer + offset));

    private static void Post(VirtqueueDriver driver, int chains, uint bytes)
    {
        for (int i = 0; i < chains; i++) driver.AddChain((new GuestAddress(Buffers + (ulong)(i * bytes) % 0xC000), bytes, true));
    }

    private static byte[] Seed(QueueMode mode, ushort size, Action<VirtqueueDriver>[] rounds, int[][] packets)
    {
        var memory = new ArrayGuestMemory(SplitQueueTarget.MemoryBytes);
        var driver = new VirtqueueDriver(memory, size, new GuestAddress(Desc), new GuestAddress(Avail), new GuestAddress(Used));
        var input = new FuzzInputBuilder().U16((ushort)mode).U8(System.Numerics.BitOperations.Log2(size)).U16(Desc).U16(Avail).U16(Used).U16(0);
        byte[] previous = new byte[SplitQueueTarget.MemoryBytes];
        for (int r = 0; r < rounds.Length; r++)
        {
            rounds[r](driver);
            byte[] now = memory.GetSpan(new GuestAddress(0), SplitQueueTarget.MemoryBytes).ToArray();
            List<(int Start, int Length)> patches = Differences(previous, now);
            input.U8(patches.Count);
            foreach ((int start, int length) in patches) input.U16(start).U8(length).Bytes(now.AsSpan(start, length));
            input.U8(0); // default budget
            if ((mode & QueueMode.Transmit) == 0)
            {
                input.U8(packets[r].Length);
                foreach (int bytes in packets[r]) input.U16(bytes).U8(0).U8(0).U8(0);
            }
            previous = now;
        }
        return input.ToArray();
    }

    /// <summary>Runs of changed bytes (gaps under 8 bytes joined), at most 255 bytes each.</summary>
    private static List<(int Start, int Length)> Differences(byte[] before, byte[] after)
    {
        var runs = new List<(int, int)>();
        int i = 0;
        while (i < after.Length)
        {
            if (before[i] == after[i]) { i++; continue; }
            int start = i, end = i + 1, quiet = 0;
            for (int j = i + 1; j < after.Length && j - start < 255 && quiet < 8; j++)
            {
                if (before[j] != after[j]) { end = j + 1; quiet = 0; }
                else quiet++;
            }
            runs.Add((start, end - start));
            i = end;
        }
        return runs;
    }
}
