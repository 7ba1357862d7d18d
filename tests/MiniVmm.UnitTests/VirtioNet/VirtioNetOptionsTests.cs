using MiniVmm.Virtio.Net;

namespace MiniVmm.UnitTests.VirtioNet;

public class VirtioNetOptionsTests
{
    [Theory]
    [InlineData("52:54:00:12:34:56", 0x525400123456UL)]
    [InlineData("02:AB:cd:00:00:01", 0x02ABCD000001UL)]
    public void MacAddress_Parses(string text, ulong expected)
    {
        Assert.True(MacAddress.TryParse(text, out MacAddress mac));
        Assert.Equal(expected, mac.Value);
        Assert.Equal(text.ToLowerInvariant(), mac.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("52:54:00:12:34")]
    [InlineData("52:54:00:12:34:5g")]
    [InlineData("525:4:00:12:34:56")]
    [InlineData(null)]
    public void MacAddress_RejectsMalformedText(string? text) => Assert.False(MacAddress.TryParse(text, out _));

    [Theory]
    [InlineData(0)]
    [InlineData(17)]
    public void Options_RejectPairsOutside1To16(int pairs)
    {
        var e = Assert.Throws<ArgumentException>(() => new VirtioNetOptions { QueuePairs = pairs }.Validate());
        Assert.Contains("queue pairs", e.Message);
    }

    [Fact]
    public void Options_RejectMulticastMacAndOddQueueSize()
    {
        Assert.Throws<ArgumentException>(() => new VirtioNetOptions { Mac = new MacAddress(0x01_00_5E_00_00_01) }.Validate());
        Assert.Throws<ArgumentException>(() => new VirtioNetOptions { QueueSize = 100 }.Validate());
        new VirtioNetOptions { QueuePairs = 16, QueueSize = 1024 }.Validate();
    }
}
