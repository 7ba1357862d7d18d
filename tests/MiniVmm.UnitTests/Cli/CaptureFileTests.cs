using System.Buffers.Binary;
using MiniVmm.Cli.Captures;
using MiniVmm.Rss.Packets;
using MiniVmm.Testing.Captures;

namespace MiniVmm.UnitTests.Cli;

/// <summary>
/// The capture reader against files the tests write themselves (CaptureWriter): pcap in both byte
/// orders and timestamp resolutions, pcapng with enhanced and simple packet blocks, and truncated,
/// corrupt and non-Ethernet files, each one clear line.
/// </summary>
public sealed class CaptureFileTests
{
    private static readonly byte[][] Frames =
    [
        new FrameBuilder().IPv4("10.0.0.1", "10.0.0.2").Tcp(1000, 80).Build(),
        new FrameBuilder().IPv6("fe80::1", "fe80::2").Udp(53, 5353).WithPayloadLength(33).Build(), // odd length: pcapng pads it
        new FrameBuilder().Arp("10.0.0.1", "10.0.0.9").Build(),
    ];

    private static string Fails(byte[] file, params string[] fragments)
    {
        var e = Assert.Throws<CaptureFormatException>(() => CaptureFile.Parse(file, "t.pcap"));
        Assert.DoesNotContain('\n', e.Message);
        Assert.StartsWith("capture t.pcap: ", e.Message);
        foreach (string f in fragments) Assert.Contains(f, e.Message);
        return e.Message;
    }

    private static void AssertFrames(Capture capture, string format)
    {
        Assert.Equal(format, capture.Format);
        Assert.Equal(Frames.Length, capture.Frames.Count);
        for (int i = 0; i < Frames.Length; i++)
        {
            Assert.Equal(i + 1, capture.Frames[i].Number);
            Assert.Equal(Frames[i], capture.Frames[i].Data);
            Assert.Equal(Frames[i].Length, capture.Frames[i].OriginalLength);
        }
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Pcap_in_either_byte_order_and_resolution(bool bigEndian, bool nanoseconds) =>
        AssertFrames(CaptureFile.Parse(CaptureWriter.Pcap(Frames, bigEndian, nanoseconds), "t.pcap"), "pcap");

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Pcapng_in_either_byte_order_with_enhanced_or_simple_packets(bool bigEndian, bool simple) =>
        AssertFrames(CaptureFile.Parse(CaptureWriter.Pcapng(Frames, bigEndian, simple), "t.pcapng"), "pcapng");

    [Fact]
    public void Pcapng_skips_blocks_it_does_not_know()
    {
        byte[] file = CaptureWriter.Pcapng(Frames);
        // A custom block (type 0x00000BAD, 16 bytes) between the interface description and the first packet.
        int firstPacket = 28 + 20;
        byte[] custom = new byte[16];
        BinaryPrimitives.WriteUInt32LittleEndian(custom, 0xBAD);
        BinaryPrimitives.WriteUInt32LittleEndian(custom.AsSpan(4), 16);
        BinaryPrimitives.WriteUInt32LittleEndian(custom.AsSpan(12), 16);
        AssertFrames(CaptureFile.Parse([.. file[..firstPacket], .. custom, .. file[firstPacket..]], "t.pcapng"), "pcapng");
    }

    [Fact]
    public void A_snapped_frame_keeps_its_wire_length()
    {
        CapturedFrame frame = CaptureFile.Parse(CaptureWriter.Pcap([Frames[1]], snapLength: 60), "t.pcap").Frames.Single();
        Assert.Equal(Frames[1][..60], frame.Data);
        Assert.Equal(Frames[1].Length, frame.OriginalLength);
        Assert.True(frame.Snapped);
    }

    [Fact]
    public void An_empty_capture_has_no_frames() => Assert.Empty(CaptureFile.Parse(CaptureWriter.Pcap([]), "t.pcap").Frames);

    [Theory]
    [InlineData(113u, "LINKTYPE_LINUX_SLL")]
    [InlineData(101u, "LINKTYPE_RAW")]
    [InlineData(147u, "link type 147")]
    public void Pcap_that_is_not_ethernet(uint linkType, string named) =>
        Fails(CaptureWriter.Pcap(Frames, linkType: linkType), named, "only Ethernet");

    [Fact]
    public void Pcapng_packet_on_an_interface_that_is_not_ethernet()
    {
        byte[] file = CaptureWriter.Pcapng([(0, Frames[0]), (1, Frames[1])], [CaptureWriter.Ethernet, 101]);
        Fails(file, "packet 2", "interface 1", "LINKTYPE_RAW", "only Ethernet");
    }

    [Fact]
    public void Pcapng_packet_on_an_interface_never_described() =>
        Fails(CaptureWriter.Pcapng([(3, Frames[0])], [CaptureWriter.Ethernet]), "corrupt", "interface 3", "1 described");

    /// <summary>Every cut inside the last record (or block) is a truncated capture, never a shorter frame list.</summary>
    [Theory]
    [InlineData("pcap")]
    [InlineData("pcapng")]
    public void Every_truncation_is_one_line(string format)
    {
        byte[] file = format == "pcap" ? CaptureWriter.Pcap(Frames) : CaptureWriter.Pcapng(Frames);
        byte[] withoutLast = format == "pcap" ? CaptureWriter.Pcap(Frames[..2]) : CaptureWriter.Pcapng(Frames[..2]);
        for (int length = withoutLast.Length + 1; length < file.Length; length++)
            Fails(file[..length], "truncated");
        for (int length = 4; length < (format == "pcap" ? 24 : 28); length++)
            Assert.Throws<CaptureFormatException>(() => CaptureFile.Parse(file[..length], "t.pcap"));
    }

    [Fact]
    public void Pcap_record_claiming_a_huge_length_is_corrupt()
    {
        byte[] file = CaptureWriter.Pcap(Frames);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(24 + 8), 0x7fff_ffff);
        Fails(file, "corrupt", "record 1", "2147483647");
    }

    [Fact]
    public void Pcapng_block_lengths_that_do_not_add_up_are_corrupt()
    {
        byte[] file = CaptureWriter.Pcapng(Frames);
        int packet = 28 + 20;
        byte[] odd = (byte[])file.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(odd.AsSpan(packet + 4), 33);
        Fails(odd, "corrupt", $"byte {packet}", "multiple of 4");

        byte[] trailer = (byte[])file.Clone();
        uint total = BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(packet + 4));
        BinaryPrimitives.WriteUInt32LittleEndian(trailer.AsSpan(packet + (int)total - 4), total + 4);
        Fails(trailer, "corrupt", "trailing length");

        byte[] captured = (byte[])file.Clone();
        BinaryPrimitives.WriteUInt32LittleEndian(captured.AsSpan(packet + 8 + 12), 4000);
        Fails(captured, "corrupt", "packet 1", "4000");

        byte[] magic = (byte[])file.Clone();
        magic[8] ^= 0xff;
        Fails(magic, "corrupt", "byte-order magic");
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("0011223344 just text, not a capture")]
    public void Not_a_capture(string text) => Fails(System.Text.Encoding.ASCII.GetBytes(text), "t.pcap");

    [Fact]
    public void Pcap_of_another_version() 
    {
        byte[] file = CaptureWriter.Pcap(Frames);
        file[4] = 3;
        Fails(file, "version 3.4");
    }

    [Fact]
    public void Missing_file_is_one_line()
    {
        var e = Assert.Throws<CaptureFormatException>(() => CaptureFile.Read("/nonexistent/x.pcap"));
        Assert.Equal("capture /nonexistent/x.pcap: no such file", e.Message);
    }
}
