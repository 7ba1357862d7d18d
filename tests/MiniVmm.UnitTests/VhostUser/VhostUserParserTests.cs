using System.Buffers.Binary;
using MiniVmm.Testing.VhostUser;
using MiniVmm.VhostUser.Protocol;

namespace MiniVmm.UnitTests.VhostUser;

/// <summary>The pure parser against what UML and QEMU really sent, and against hostile layouts.</summary>
public sealed class VhostUserParserTests
{
    [Theory]
    [InlineData(CaptureFiles.Uml, 165 - 6)]
    [InlineData(CaptureFiles.Qemu, 69 - 5)]
    [InlineData(CaptureFiles.QemuGuestReset, 122 - 5)]
    public void EveryCapturedMessage_Parses(string file, int expectedMessages)
    {
        VhostUserCapture capture = CaptureFiles.Load(file);
        Assert.Equal(expectedMessages, capture.Messages.Count);
        foreach (CapturedMessage m in capture.Messages)
        {
            VhostUserHeader header = VhostUserHeader.Read(m.Header);
            bool ok = VhostUserParser.TryParse(header, m.Payload, m.FdCount, false, out VhostUserMessage? message, out VhostUserRejectReason reason);
            Assert.True(ok, $"{header}: {reason}");
            Assert.Equal(m.FdCount, message!.FdCount);
        }
    }

    [Fact]
    public void UmlMemoryTable_Is72Bytes_WithOneRegion_WhoseGuestAndUserAddressAndOffsetAgree()
    {
        CapturedMessage m = CaptureFiles.Load(CaptureFiles.Uml).Messages.First(x => BinaryPrimitives.ReadUInt32LittleEndian(x.Header) == 5);
        VhostUserHeader header = VhostUserHeader.Read(m.Header);
        Assert.Equal(72u, header.Size);
        Assert.Equal(VhostUserHeaderFlags.Version1 | VhostUserHeaderFlags.NeedReply, header.Flags);
        Assert.True(VhostUserParser.TryParse(header, m.Payload, 1, false, out VhostUserMessage? message, out _));
        MemoryRegionDescription region = Assert.Single(message!.Regions);
        Assert.Equal(new MemoryRegionDescription(0x1fe2c000, 0xf579000, 0x1fe2c000, 0x1fe2c000), region);
    }

    [Fact]
    public void QemuMemoryTable_HasTwoRegionsOfOneMemfd_TranslatedThroughItsVirtualAddresses()
    {
        CapturedMessage m = CaptureFiles.Load(CaptureFiles.Qemu).Messages.First(x => BinaryPrimitives.ReadUInt32LittleEndian(x.Header) == 5);
        Assert.True(VhostUserParser.TryParse(VhostUserHeader.Read(m.Header), m.Payload, 2, false, out VhostUserMessage? message, out _));
        Assert.Equal(
            [new MemoryRegionDescription(0, 0xa0000, 0x7f7cb7fff000, 0), new MemoryRegionDescription(0xc0000, 0xff40000, 0x7f7cb80bf000, 0xc0000)],
            message!.Regions);
    }

    [Fact]
    public void UmlRingAddress_IsDescUsedAvailLog_InThatOrder()
    {
        CapturedMessage m = CaptureFiles.Load(CaptureFiles.Uml).Messages.First(x => BinaryPrimitives.ReadUInt32LittleEndian(x.Header) == 9);
        Assert.True(VhostUserParser.TryParse(VhostUserHeader.Read(m.Header), m.Payload, 0, false, out VhostUserMessage? message, out _));
        Assert.Equal(new VringAddress(0, 0, 0x20c3c000, 0x20c3e000, 0x20c3d000, ulong.MaxValue), message!.VringAddress);
    }

    [Fact]
    public void UmlConfigReads_AreOneGetConfigPerFieldEnd()
    {
        var sizes = CaptureFiles.Load(CaptureFiles.Uml).Messages
            .Where(x => BinaryPrimitives.ReadUInt32LittleEndian(x.Header) == 24).Take(10)
            .Select(x => (Offset: BinaryPrimitives.ReadUInt32LittleEndian(x.Payload), Size: BinaryPrimitives.ReadUInt32LittleEndian(x.Payload.AsSpan(4))))
            .ToList();
        Assert.Equal([(0u, 10u), (0, 1), (0, 2), (0, 3), (0, 4), (0, 5), (0, 6), (0, 20), (0, 18), (0, 24)], sizes);
    }

    public static TheoryData<string, byte[], int, VhostUserRejectReason> Hostile() => new()
    {
        { "SET_FEATURES short", Request(2, new byte[4]), 0, VhostUserRejectReason.WrongPayloadSize },
        { "SET_FEATURES with an fd", Request(2, new byte[8]), 1, VhostUserRejectReason.UnexpectedFds },
        { "GET_FEATURES with payload", Request(1, new byte[8]), 0, VhostUserRejectReason.WrongPayloadSize },
        { "SET_VRING_ADDR 39 bytes", Request(9, new byte[39]), 0, VhostUserRejectReason.WrongPayloadSize },
        { "SET_VRING_ADDR unknown flag", Request(9, Address(flags: 2)), 0, VhostUserRejectReason.ReservedBitsSet },
        { "SET_VRING_BASE above 16 bits", Request(10, State(0, 0x10000)), 0, VhostUserRejectReason.BaseOutOfRange },
        { "SET_VRING_KICK without fd", Request(12, U64(0)), 0, VhostUserRejectReason.MissingFds },
        { "SET_VRING_KICK NOFD with fd", Request(12, U64(0x100)), 1, VhostUserRejectReason.UnexpectedFds },
        { "SET_VRING_CALL reserved bit", Request(13, U64(0x200)), 1, VhostUserRejectReason.ReservedBitsSet },
        { "SET_VRING_CALL two fds", Request(13, U64(0)), 2, VhostUserRejectReason.UnexpectedFds },
        { "SET_SLAVE_REQ_FD without fd", Request(21, []), 0, VhostUserRejectReason.MissingFds },
        { "SET_MEM_TABLE 7 bytes", Request(5, new byte[7]), 0, VhostUserRejectReason.WrongPayloadSize },
        { "SET_MEM_TABLE 9 regions in 8 slots", Request(5, Table(9, 8)), 8, VhostUserRejectReason.TooManyRegions },
        { "SET_MEM_TABLE 9 slots", Request(5, Table(8, 9)), 8, VhostUserRejectReason.WrongPayloadSize },
        { "SET_MEM_TABLE 2 regions in 1 slot", Request(5, Table(2, 1)), 2, VhostUserRejectReason.TooManyRegions },
        { "SET_MEM_TABLE region without fd", Request(5, Table(1, 1)), 0, VhostUserRejectReason.MissingFds },
        { "SET_MEM_TABLE extra fd", Request(5, Table(1, 2)), 2, VhostUserRejectReason.UnexpectedFds },
        { "SET_MEM_TABLE empty region", Request(5, Table(1, 1, size: 0)), 1, VhostUserRejectReason.EmptyRegion },
        { "SET_MEM_TABLE gpa wraps", Request(5, Table(1, 1, gpa: ulong.MaxValue - 0xfff)), 1, VhostUserRejectReason.RegionOverflow },
        { "SET_MEM_TABLE offset wraps", Request(5, Table(1, 1, offset: ulong.MaxValue - 0xfff)), 1, VhostUserRejectReason.RegionOverflow },
        { "SET_MEM_TABLE overlapping", Request(5, Table(2, 2, overlap: true)), 2, VhostUserRejectReason.RegionsOverlap },
        { "GET_CONFIG empty", Request(24, []), 0, VhostUserRejectReason.EmptyConfig },
        { "GET_CONFIG size 0", Request(24, Config(0, 0, 0)), 0, VhostUserRejectReason.EmptyConfig },
        { "GET_CONFIG size disagrees", Request(24, Config(0, 8, 4)), 0, VhostUserRejectReason.ConfigSizeMismatch },
        { "GET_CONFIG over 256", Request(24, Config(0, 257, 257)), 0, VhostUserRejectReason.ConfigSizeMismatch },
        { "GET_MAX_MEM_SLOTS", Request(36, []), 0, VhostUserRejectReason.UnknownRequest },
        { "request 1000", Request(1000, []), 0, VhostUserRejectReason.UnknownRequest },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void HostileLayouts_AreRefusedWithTheirReason(string what, byte[] message, int fds, VhostUserRejectReason expected)
    {
        VhostUserHeader header = VhostUserHeader.Read(message);
        bool ok = VhostUserParser.TryParse(header, message.AsSpan(VhostUserHeader.SizeBytes), fds, false, out VhostUserMessage? parsed, out VhostUserRejectReason reason);
        Assert.False(ok, what);
        Assert.Null(parsed);
        Assert.Equal(expected, reason);
    }

    [Fact]
    public void HeaderChecks_RefuseBadVersion_ReplyFlag_AndOversizedPayloads()
    {
        Assert.Equal(VhostUserRejectReason.BadVersion, VhostUserParser.CheckHeader(new VhostUserHeader(1u, VhostUserHeaderFlags.None, 0)));
        Assert.Equal(VhostUserRejectReason.BadVersion, VhostUserParser.CheckHeader(new VhostUserHeader(1u, (VhostUserHeaderFlags)2, 0)));
        Assert.Equal(VhostUserRejectReason.UnexpectedReply, VhostUserParser.CheckHeader(new VhostUserHeader(1u, VhostUserHeader.ReplyFlags, 0)));
        Assert.Equal(VhostUserRejectReason.PayloadTooLarge, VhostUserParser.CheckHeader(new VhostUserHeader(5u, VhostUserHeaderFlags.Version1, 4097)));
        Assert.Equal(VhostUserRejectReason.None, VhostUserParser.CheckHeader(new VhostUserHeader(5u, VhostUserHeaderFlags.Version1 | VhostUserHeaderFlags.NeedReply, 4096)));
    }

    [Fact]
    public void TruncatedPayload_AndDroppedDescriptors_AreRefused()
    {
        byte[] m = Request(2, new byte[8]);
        VhostUserHeader h = VhostUserHeader.Read(m);
        Assert.False(VhostUserParser.TryParse(h, m.AsSpan(12, 4), 0, false, out _, out VhostUserRejectReason short_));
        Assert.Equal(VhostUserRejectReason.Truncated, short_);
        Assert.False(VhostUserParser.TryParse(h, m.AsSpan(12), 0, true, out _, out VhostUserRejectReason dropped));
        Assert.Equal(VhostUserRejectReason.TooManyFds, dropped);
    }

    [Fact]
    public void ReplyEncoding_HasFlagsExactly0x5_AndTheRequestsNumber()
    {
        byte[] ack = VhostUserEncoder.Ack(VhostUserRequest.SetMemTable, 0);
        Assert.Equal(Convert.FromHexString("05000000" + "05000000" + "08000000" + "0000000000000000"), ack);
    }

    [Fact]
    public void Names_AreTheRstsNames()
    {
        Assert.Equal("VHOST_USER_SET_SLAVE_REQ_FD", VhostUserParser.Name(21));
        Assert.Equal("VHOST_USER_GET_VRING_BASE", VhostUserParser.Name(11));
        Assert.Equal("request 1000", VhostUserParser.Name(1000));
    }

    private static byte[] Request(uint request, byte[] payload) => VhostUserEncoder.Message(request, VhostUserHeaderFlags.Version1, payload);

    private static byte[] U64(ulong v)
    {
        var b = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(b, v);
        return b;
    }

    private static byte[] State(uint index, uint num)
    {
        var b = new byte[8];
        new VringState(index, num).Write(b);
        return b;
    }

    private static byte[] Address(uint flags)
    {
        var b = new byte[40];
        new VringAddress(0, flags, 0x1000, 0x3000, 0x2000, 0).Write(b);
        return b;
    }

    private static byte[] Config(uint offset, uint size, int dataBytes)
    {
        var b = new byte[12 + dataBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(b, offset);
        BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(4), size);
        return b;
    }

    private static byte[] Table(int regions, int slots, ulong size = 0x10000, ulong gpa = 0, ulong offset = 0, bool overlap = false)
    {
        var b = new byte[8 + 32 * slots];
        BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)regions);
        for (int i = 0; i < Math.Min(regions, slots); i++)
        {
            ulong step = overlap ? size / 2 : size;
            new MemoryRegionDescription(gpa + (ulong)i * step, size, 0x7000_0000 + (ulong)i * size, offset).Write(b.AsSpan(8 + 32 * i));
        }
        return b;
    }
}
