using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using MiniVmm.Bpf;
using MiniVmm.Rss;

namespace MiniVmm.UnitTests.Bpf;

/// <summary>
/// The rss_config / rss_result map values mirror the C structs of bpf/rss_steering.bpf.c
/// (struct rss_config: 312 bytes packed; struct rss_result: 16 bytes). The integration tests
/// check the same numbers against the compiled object's BTF.
/// </summary>
public sealed class RssConfigValueTests
{
    [Fact]
    public void The_map_values_have_the_sizes_and_offsets_of_the_c_structs()
    {
        Assert.Equal(312, Unsafe.SizeOf<RssConfigValue>());
        Assert.Equal(16, Unsafe.SizeOf<RssResultValue>());
        Assert.Equal(0, (int)Marshal.OffsetOf<RssConfigValue>(nameof(RssConfigValue.Enabled)));
        Assert.Equal(4, (int)Marshal.OffsetOf<RssConfigValue>(nameof(RssConfigValue.HashTypes)));
        Assert.Equal(8, (int)Marshal.OffsetOf<RssConfigValue>(nameof(RssConfigValue.TableMask)));
        Assert.Equal(10, (int)Marshal.OffsetOf<RssConfigValue>(nameof(RssConfigValue.UnclassifiedQueue)));
        Assert.Equal(12, (int)Marshal.OffsetOf<RssConfigValue>(nameof(RssConfigValue.TableLength)));
        Assert.Equal(16, (int)Marshal.OffsetOf<RssConfigValue>(nameof(RssConfigValue.Table)));
        Assert.Equal(272, (int)Marshal.OffsetOf<RssConfigValue>(nameof(RssConfigValue.Key)));
        Assert.Equal(4, (int)Marshal.OffsetOf<RssResultValue>(nameof(RssResultValue.HashReport)));
        Assert.Equal(8, (int)Marshal.OffsetOf<RssResultValue>(nameof(RssResultValue.Runs)));
    }

    [Fact]
    public void A_configuration_becomes_mask_table_and_zero_padded_key()
    {
        var config = new RssConfiguration
        {
            HashTypes = VirtioNetHashTypes.TcpV4 | VirtioNetHashTypes.IPv6Ex,
            Key = [1, 2, 3],
            IndirectionTable = [7, 6, 5, 4],
            UnclassifiedQueue = 9,
        };

        RssConfigValue value = RssConfigValue.From(config);

        Assert.Equal(1u, value.Enabled);
        Assert.Equal((1u << 1) | (1u << 6), value.HashTypes);
        Assert.Equal(3, value.TableMask);
        Assert.Equal(4, value.TableLength);
        Assert.Equal(9, value.UnclassifiedQueue);
        // The fixed buffers read as the kernel reads the map value: bytes at their C offsets.
        ReadOnlySpan<byte> bytes = MemoryMarshal.AsBytes(MemoryMarshal.CreateReadOnlySpan(ref value, 1));
        ReadOnlySpan<byte> table = bytes[(int)Marshal.OffsetOf<RssConfigValue>(nameof(RssConfigValue.Table))..];
        ReadOnlySpan<byte> key = bytes[(int)Marshal.OffsetOf<RssConfigValue>(nameof(RssConfigValue.Key))..];
        Assert.Equal(new ushort[] { 7, 6, 5, 4, 0 }, MemoryMarshal.Cast<byte, ushort>(table[..10]).ToArray());
        Assert.Equal(new byte[] { 1, 2, 3, 0 }, key[..4].ToArray());
        Assert.Equal(0, key[39]);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    [InlineData(256)]
    public void A_table_length_that_is_not_a_power_of_two_up_to_128_is_refused(int length)
    {
        var config = new RssConfiguration
        {
            HashTypes = VirtioNetHashTypes.All,
            Key = new byte[40],
            IndirectionTable = new ushort[length],
            UnclassifiedQueue = 0,
        };
        var e = Assert.Throws<ArgumentException>(() => RssConfigValue.From(config));
        Assert.Contains($"indirection table length {length}", e.Message);
    }

    [Fact]
    public void A_key_longer_than_40_bytes_is_refused()
    {
        var config = RssConfiguration.Spread(2) with { Key = new byte[41] };
        Assert.Throws<ArgumentException>(() => RssConfigValue.From(config));
    }
}
