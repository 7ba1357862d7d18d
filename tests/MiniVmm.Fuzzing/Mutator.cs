namespace MiniVmm.Fuzzing;

/// <summary>
/// A small havoc mutator in the style of AFL's (bit flips, interesting values, arithmetic, block
/// deletion, duplication and splicing) driven by a seeded <see cref="Random"/>: the same seed and
/// corpus give the same inputs on every run, which is what the fixed-seed pass in ./build.sh test needs.
/// </summary>
public sealed class Mutator(int seed, int maxBytes = 4096)
{
    private static readonly int[] s_interesting = [0, 1, 2, 7, 8, 15, 16, 31, 32, 63, 64, 100, 127, 128, 255, 256, 512, 1000, 1024, 4096, 32767, 32768, 65535];

    private readonly Random _random = new(seed);

    public byte[] Mutate(byte[] parent, byte[] other)
    {
        var data = new List<byte>(parent.Length == 0 ? [0] : parent);
        int rounds = 1 << _random.Next(0, 3); // 1, 2 or 4 stacked changes: structured inputs survive a few
        for (int i = 0; i < rounds; i++)
        {
            int at = _random.Next(data.Count);
            switch (_random.Next(9))
            {
                case 0: data[at] ^= (byte)(1 << _random.Next(8)); break;
                case 1: data[at] = (byte)_random.Next(256); break;
                case 2: data[at] = (byte)(data[at] + _random.Next(-16, 17)); break;
                case 3: PutInteresting(data, at); break;
                case 4: if (data.Count > 1) data.RemoveRange(at, _random.Next(1, Math.Min(32, data.Count - at) + 1)); break;
                case 5: data.InsertRange(at, data.GetRange(_random.Next(data.Count), 1).SelectMany(b => Enumerable.Repeat(b, _random.Next(1, 16)))); break;
                case 6:
                    int from = _random.Next(data.Count);
                    data.InsertRange(at, data.GetRange(from, _random.Next(1, Math.Min(32, data.Count - from) + 1)));
                    break;
                case 7:
                    if (other.Length > 0)
                    {
                        int start = _random.Next(other.Length);
                        data.InsertRange(at, other.AsSpan(start, _random.Next(1, Math.Min(64, other.Length - start) + 1)).ToArray());
                    }
                    break;
                default:
                    if (other.Length > 0) data = [.. data.Take(at), .. other.Skip(_random.Next(other.Length))];
                    break;
            }
            if (data.Count == 0) data.Add(0);
        }
        return [.. data.Take(maxBytes)];
    }

    /// <summary>Picks an entry of a non-empty corpus.</summary>
    public byte[] Pick(IReadOnlyList<byte[]> corpus) => corpus[_random.Next(corpus.Count)];

    private void PutInteresting(List<byte> data, int at)
    {
        int value = s_interesting[_random.Next(s_interesting.Length)];
        int width = 1 << _random.Next(3); // 1, 2 or 4 bytes, little-endian
        for (int b = 0; b < width && at + b < data.Count; b++) data[at + b] = (byte)(value >> (8 * b));
    }
}
