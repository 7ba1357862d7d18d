using MiniVmm.Cli.Configuration;

namespace MiniVmm.UnitTests.Cli;

public sealed class SizeParserTests
{
    [Theory]
    [InlineData("512M", 536870912UL)]
    [InlineData("512m", 536870912UL)]
    [InlineData("3G", 3221225472UL)]
    [InlineData("1g", 1073741824UL)]
    [InlineData("4K", 4096UL)]
    [InlineData("262144K", 268435456UL)]
    [InlineData("256", 268435456UL)] // bare number = MiB
    [InlineData("256MiB", 268435456UL)]
    [InlineData("2GB", 2147483648UL)]
    [InlineData(" 64M ", 67108864UL)]
    [InlineData("0", 0UL)]
    public void Parses(string text, ulong expected)
    {
        Assert.True(SizeParser.TryParse(text, out ulong bytes));
        Assert.Equal(expected, bytes);
    }

    [Theory]
    [InlineData("")]
    [InlineData("M")]
    [InlineData("12T")]
    [InlineData("-1G")]
    [InlineData("1.5G")]
    [InlineData("abc")]
    [InlineData("99999999999999999G")]
    [InlineData("18446744073709551615")]
    [InlineData("0x100M")]
    [InlineData(null)]
    public void Refuses(string? text)
    {
        Assert.False(SizeParser.TryParse(text, out _));
    }
}
