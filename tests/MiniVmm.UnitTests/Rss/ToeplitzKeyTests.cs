using MiniVmm.Rss;

namespace MiniVmm.UnitTests.Rss;

public sealed class ToeplitzKeyTests
{
    [Fact]
    public void VectorFileHasSixteenValues()
    {
        Assert.Equal(8, ToeplitzVectors.All.Count);
        Assert.Equal(40, ToeplitzVectors.Key.Length);
        Assert.Equal(ToeplitzVectors.Key, RssConfiguration.DefaultKey.ToArray());
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void AddressesOnlyInputHashesToPublishedValue(string id)
    {
        ToeplitzVector vector = ToeplitzVectors.Get(id);
        var key = new ToeplitzKey(ToeplitzVectors.Key);

        Assert.Equal(vector.HashAddressesOnly, key.Hash(vector.InputAddressesOnly));
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void AddressesAndPortsInputHashesToPublishedValue(string id)
    {
        ToeplitzVector vector = ToeplitzVectors.Get(id);
        var key = new ToeplitzKey(ToeplitzVectors.Key);

        Assert.Equal(vector.HashWithPorts, key.Hash(vector.InputWithPorts));
    }

    [Fact]
    public void TablesAgreeWithBitwiseDefinitionForRandomKeysAndInputs()
    {
        var random = new Random(4);
        for (int round = 0; round < 300; round++)
        {
            byte[] keyBytes = new byte[random.Next(0, 52)];
            random.NextBytes(keyBytes);
            byte[] input = new byte[random.Next(0, ToeplitzKey.MaxInputBytes + 1)];
            random.NextBytes(input);

            Assert.Equal(BitwiseToeplitz(keyBytes, input), new ToeplitzKey(keyBytes).Hash(input));
        }
    }

    [Fact]
    public void InputLongerThanTheTablesIsRejected()
    {
        var key = new ToeplitzKey(ToeplitzVectors.Key);

        Assert.Throws<ArgumentOutOfRangeException>(() => key.Hash(new byte[ToeplitzKey.MaxInputBytes + 1]));
    }

    [Fact]
    public void ConfigurationRebuildsTablesWhenAWithCopyChangesTheKey()
    {
        ToeplitzVector vector = ToeplitzVectors.Get("msft-ipv4-1");
        RssConfiguration first = RssConfiguration.Spread(4);
        Assert.Equal(vector.HashWithPorts, first.Toeplitz.Hash(vector.InputWithPorts));

        RssConfiguration second = first with { Key = new byte[40] };

        Assert.Equal(0u, second.Toeplitz.Hash(vector.InputWithPorts));
        Assert.Same(first.Toeplitz, first.Toeplitz);
    }

    [Fact]
    public void ConfigurationEqualityIgnoresTheCachedTables()
    {
        RssConfiguration used = RssConfiguration.Spread(4);
        _ = used.Toeplitz;
        RssConfiguration fresh = RssConfiguration.Spread(4);

        Assert.Equal(fresh, used);
        Assert.Equal(fresh.GetHashCode(), used.GetHashCode());
        Assert.NotEqual(fresh, used with { UnclassifiedQueue = 1 });
        Assert.NotEqual(fresh, used with { Key = new byte[40] });
    }

    public static TheoryData<string> Ids() => ToeplitzVectors.Ids();

    /// <summary>The definition, bit by bit (Microsoft RSS pseudocode), as an independent oracle for random keys.</summary>
    internal static uint BitwiseToeplitz(byte[] key, byte[] input)
    {
        uint result = 0;
        for (int bit = 0; bit < input.Length * 8; bit++)
        {
            if ((input[bit / 8] & (0x80 >> (bit % 8))) == 0)
            {
                continue;
            }

            uint window = 0;
            for (int k = 0; k < 32; k++)
            {
                int keyBit = bit + k;
                int value = keyBit / 8 < key.Length ? (key[keyBit / 8] >> (7 - (keyBit % 8))) & 1 : 0;
                window = (window << 1) | (uint)value;
            }

            result ^= window;
        }

        return result;
    }
}
