using MiniVmm.Rss.Packets;
using MiniVmm.Rss;

namespace MiniVmm.UnitTests.Rss;

/// <summary>D8: which Destination Options contents count as a Home Address option, and queue edge cases (D12).</summary>
public sealed class HomeAddressOptionTests
{
    private static readonly ToeplitzVector Vector = ToeplitzVectors.Get("msft-ipv6-1");

    [Fact]
    public void HomeAddressAfterPad1AndPadNIsFound()
    {
        // Pad1 x2, PadN(2 bytes total), HAO (18), padding to a multiple of 8: 2 + 2 + 2 + 18 = 24.
        byte[] body = [0, 0, 1, 0, IpProtocol.HomeAddressOption, 16, .. Address(Vector.SourceAddress)];
        Assert.Equal(VirtioNetHashReport.TcpV6Ex, Hash(body, out uint hash));
        Assert.Equal(Vector.HashWithPorts, hash);
    }

    [Fact]
    public void OptionOfWrongLengthIsNotAHomeAddress()
    {
        byte[] body = [1, 0, IpProtocol.HomeAddressOption, 18, .. Address("2001:db8::dead"), 0, 0];
        Assert.Equal(VirtioNetHashReport.TcpV6Ex, Hash(body, out uint hash));
        Assert.Equal(Vector.HashWithPorts, hash); // the fixed header's source, i.e. no home address
    }

    [Fact]
    public void OnlyTheFirstSixteenOptionsAreExamined()
    {
        // n Pad1 options, one PadN, then the HAO: it is option n + 2.
        byte[] Body(int pad1, int trailing) => [.. new byte[pad1], 1, 0, IpProtocol.HomeAddressOption, 16, .. Address(Vector.SourceAddress), .. new byte[trailing]];

        Assert.Equal(VirtioNetHashReport.TcpV6Ex, HashWithSource("2001:db8::dead", Body(14, 4), out uint sixteenth));
        Assert.Equal(VirtioNetHashReport.TcpV6Ex, HashWithSource("2001:db8::dead", Body(15, 3), out uint seventeenth));
        Assert.Equal(Vector.HashWithPorts, sixteenth); // the 16th option is the home address: vector source hashed
        Assert.NotEqual(Vector.HashWithPorts, seventeenth); // the 17th is not looked at: the fixed header's source hashed
    }

    [Fact]
    public void OptionRunningPastTheHeaderEndsTheSearch()
    {
        byte[] body = [1, 200, 0, 0, 0, 0];
        Assert.Equal(VirtioNetHashReport.TcpV6Ex, Hash(body, out uint hash));
        Assert.Equal(Vector.HashWithPorts, hash);
    }

    [Fact]
    public void HomeAddressInHopByHopOptionsDoesNotCount()
    {
        // §5.1.6.4.3.4: "the home address option in the IPv6 destination options header".
        byte[] body = [0, 0, 1, 0, IpProtocol.HomeAddressOption, 16, .. Address("2001:db8::dead")];
        byte[] frame = VectorFrameTests.Frame(Vector).WithExtensionHeader(IpProtocol.HopByHopOptions, body)
            .Tcp(Vector.SourcePort, Vector.DestinationPort).Build();

        Assert.Equal(Vector.HashWithPorts, RssHasher.Compute(frame, VectorFrameTests.Config(VirtioNetHashTypes.TcpV6Ex)).HashValue);
    }

    [Fact]
    public void OddTableLengthsAndEmptyTablesNeverThrow()
    {
        byte[] frame = VectorFrameTests.Frame(Vector).Tcp(Vector.SourcePort, Vector.DestinationPort).Build();
        RssConfiguration empty = VectorFrameTests.Config(VirtioNetHashTypes.All) with { IndirectionTable = [] };
        RssConfiguration three = VectorFrameTests.Config(VirtioNetHashTypes.All) with { IndirectionTable = [20, 21, 22] };

        Assert.Equal(3, RssHasher.Compute(frame, empty).Queue);
        Assert.Equal((ushort)(20 + (Vector.HashWithPorts & 2)), RssHasher.Compute(frame, three).Queue);
    }

    private static byte[] Address(string text) => System.Net.IPAddress.Parse(text).GetAddressBytes();

    private static VirtioNetHashReport HashWithSource(string source, byte[] destinationOptionsBody, out uint hash)
    {
        byte[] frame = new FrameBuilder().IPv6(source, Vector.DestinationAddress).WithExtensionHeader(IpProtocol.DestinationOptions, destinationOptionsBody)
            .Tcp(Vector.SourcePort, Vector.DestinationPort).Build();
        RssResult result = RssHasher.Compute(frame, VectorFrameTests.Config(VirtioNetHashTypes.All));
        hash = result.HashValue;
        return result.HashReport;
    }

    private static VirtioNetHashReport Hash(byte[] destinationOptionsBody, out uint hash)
    {
        byte[] frame = VectorFrameTests.Frame(Vector).WithExtensionHeader(IpProtocol.DestinationOptions, destinationOptionsBody)
            .Tcp(Vector.SourcePort, Vector.DestinationPort).Build();
        RssResult result = RssHasher.Compute(frame, VectorFrameTests.Config(VirtioNetHashTypes.All));
        hash = result.HashValue;
        return result.HashReport;
    }
}
