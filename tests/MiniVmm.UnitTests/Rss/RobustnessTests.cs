using MiniVmm.Rss;

namespace MiniVmm.UnitTests.Rss;

/// <summary>Hostile frames: any byte sequence is safe input, and the hot path never allocates.</summary>
public sealed class RobustnessTests
{
    [Fact]
    public void HundredTwentyThousandGeneratedAndMutatedFramesNeverThrow()
    {
        var random = new Random(20261125);
        RssConfiguration config = RssConfiguration.Spread(5, 64) with { UnclassifiedQueue = 4 };
        Span<byte> input = stackalloc byte[RssHasher.MaxInputBytes];
        int hashed = 0;
        for (int i = 0; i < 120_000; i++)
        {
            byte[] frame = i % 3 == 0 ? RandomFrames.WellFormed(random) : RandomFrames.Mutated(random);

            RssResult result = RssHasher.Compute(frame, config);
            VirtioNetHashReport report = RssHasher.Classify(frame, config.HashTypes, input, out int length);

            Assert.Equal(report, result.HashReport);
            if (report == VirtioNetHashReport.None)
            {
                Assert.Equal(new RssResult(0, VirtioNetHashReport.None, 4), result);
                Assert.Equal(0, length);
                continue;
            }

            hashed++;
            Assert.Contains(length, new[] { 8, 12, 32, 36 });
            Assert.Equal(config.Toeplitz.Hash(input[..length]), result.HashValue); // in-place hashing == hashing Classify's input
            Assert.Equal(config.IndirectionTable[result.HashValue & 63], result.Queue);
            if (i % 97 == 0)
            {
                Assert.Equal(ToeplitzKeyTests.BitwiseToeplitz(config.Key, input[..length].ToArray()), result.HashValue);
            }
        }

        // The mix must really exercise the hashing path, not just reject everything.
        Assert.InRange(hashed, 40_000, 110_000);
    }

    [Fact]
    public void EveryPrefixOfEveryKindOfFrameIsSafe()
    {
        var random = new Random(7);
        RssConfiguration config = RssConfiguration.Spread(3);
        for (int i = 0; i < 2_000; i++)
        {
            byte[] frame = RandomFrames.WellFormed(random);
            for (int length = 0; length <= frame.Length; length++)
            {
                RssResult result = RssHasher.Compute(frame.AsSpan(0, length), config);
                Assert.True(result.Queue < 3);
            }
        }
    }

    [Fact]
    public void ComputeDoesNotAllocate()
    {
        var random = new Random(11);
        byte[][] frames = Enumerable.Range(0, 64).Select(_ => RandomFrames.WellFormed(random)).ToArray();
        RssConfiguration config = RssConfiguration.Spread(4);
        uint sink = 0;
        foreach (byte[] frame in frames)
        {
            sink ^= RssHasher.Compute(frame, config).HashValue; // warm up: tables built, methods jitted
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            sink ^= RssHasher.Compute(frames[i & 63], config).HashValue;
        }

        long after = GC.GetAllocatedBytesForCurrentThread();

        Assert.Equal(0, after - before);
    }
}
