using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace MiniVmm.VhostUser.Protocol;

/// <summary>
/// Pure message parsing: bytes and a descriptor count in, a decoded message or a typed reason out.
/// No I/O and no state, so it can be unit-tested against captures and fuzzed without sockets.
/// Every request is size-checked against its own layout (vhost-user.rst, VHOST-USER.md).
/// </summary>
public static class VhostUserParser
{
    /// <summary>
    /// The largest payload read at all. Every request served is far smaller (the memory table's
    /// 8 + 32 * 8 = 264 bytes, a config of 12 + 256); an unknown request up to this size is read
    /// and refused while the stream stays in step, a larger one ends the session.
    /// </summary>
    public const int MaxPayloadBytes = 4096;

    /// <summary>At most 8 regions (VHOST_MEMORY_BASELINE_NREGIONS), one descriptor each.</summary>
    public const int MaxRegions = 8;

    public const int MemoryTableHeaderBytes = 8;

    /// <summary>Checks the header alone, before its payload is read.</summary>
    public static VhostUserRejectReason CheckHeader(in VhostUserHeader header)
    {
        if ((header.Flags & VhostUserHeaderFlags.VersionMask) != VhostUserHeaderFlags.Version1) return VhostUserRejectReason.BadVersion;
        if ((header.Flags & VhostUserHeaderFlags.Reply) != 0) return VhostUserRejectReason.UnexpectedReply;
        if (header.Size > MaxPayloadBytes) return VhostUserRejectReason.PayloadTooLarge;
        return VhostUserRejectReason.None;
    }

    /// <summary>
    /// Decodes one request. <paramref name="fdCount"/> is how many descriptors arrived with it and
    /// <paramref name="fdsTruncated"/> whether the kernel dropped some (more than 8 sent).
    /// </summary>
    public static bool TryParse(in VhostUserHeader header, ReadOnlySpan<byte> payload, int fdCount, bool fdsTruncated,
        [NotNullWhen(true)] out VhostUserMessage? message, out VhostUserRejectReason reason)
    {
        message = null;
        reason = CheckHeader(header);
        if (reason == VhostUserRejectReason.None && payload.Length != header.Size) reason = VhostUserRejectReason.Truncated;
        if (reason == VhostUserRejectReason.None && fdsTruncated) reason = VhostUserRejectReason.TooManyFds;
        if (reason != VhostUserRejectReason.None) return false;

        message = header.KnownRequest switch
        {
            VhostUserRequest.GetFeatures or VhostUserRequest.GetProtocolFeatures or VhostUserRequest.GetQueueNum
                or VhostUserRequest.SetOwner or VhostUserRequest.ResetOwner => Empty(header, payload, fdCount, out reason),
            VhostUserRequest.SetFeatures or VhostUserRequest.SetProtocolFeatures => U64(header, payload, fdCount, out reason),
            VhostUserRequest.SetVringNum or VhostUserRequest.SetVringBase or VhostUserRequest.GetVringBase
                or VhostUserRequest.SetVringEnable => State(header, payload, fdCount, out reason),
            VhostUserRequest.SetVringAddr => Address(header, payload, fdCount, out reason),
            VhostUserRequest.SetVringKick or VhostUserRequest.SetVringCall or VhostUserRequest.SetVringErr => File(header, payload, fdCount, out reason),
            VhostUserRequest.SetMemTable => MemTable(header, payload, fdCount, out reason),
            VhostUserRequest.SetSlaveReqFd => SlaveChannel(header, payload, fdCount, out reason),
            VhostUserRequest.GetConfig or VhostUserRequest.SetConfig => Config(header, payload, fdCount, out reason),
            _ => Refuse(VhostUserRejectReason.UnknownRequest, out reason),
        };
        return message is not null;
    }

    /// <summary>The request's vhost-user.rst name (VHOST_USER_GET_FEATURES), or its number when unknown.</summary>
    public static string Name(uint request) => Enum.IsDefined(typeof(VhostUserRequest), request) && request != 0
        ? "VHOST_USER_" + ToUpperSnake(((VhostUserRequest)request).ToString())
        : $"request {request}";

    private static VhostUserMessage? Empty(in VhostUserHeader h, ReadOnlySpan<byte> p, int fds, out VhostUserRejectReason reason)
    {
        if (!Expect(p.Length == 0, fds == 0, out reason)) return null;
        return new VhostUserMessage { Header = h };
    }

    private static VhostUserMessage? U64(in VhostUserHeader h, ReadOnlySpan<byte> p, int fds, out VhostUserRejectReason reason)
    {
        if (!Expect(p.Length == 8, fds == 0, out reason)) return null;
        return new VhostUserMessage { Header = h, Value = BinaryPrimitives.ReadUInt64LittleEndian(p) };
    }

    private static VhostUserMessage? State(in VhostUserHeader h, ReadOnlySpan<byte> p, int fds, out VhostUserRejectReason reason)
    {
        if (!Expect(p.Length == VringState.SizeBytes, fds == 0, out reason)) return null;
        VringState state = VringState.Read(p);
        if (h.KnownRequest == VhostUserRequest.SetVringBase && state.Num > ushort.MaxValue) return Refuse(VhostUserRejectReason.BaseOutOfRange, out reason);
        return new VhostUserMessage { Header = h, VringState = state };
    }

    private static VhostUserMessage? Address(in VhostUserHeader h, ReadOnlySpan<byte> p, int fds, out VhostUserRejectReason reason)
    {
        if (!Expect(p.Length == VringAddress.SizeBytes, fds == 0, out reason)) return null;
        VringAddress address = VringAddress.Read(p);
        if ((address.Flags & ~VringAddress.FlagLog) != 0) return Refuse(VhostUserRejectReason.ReservedBitsSet, out reason);
        return new VhostUserMessage { Header = h, VringAddress = address };
    }

    private static VhostUserMessage? File(in VhostUserHeader h, ReadOnlySpan<byte> p, int fds, out VhostUserRejectReason reason)
    {
        if (p.Length != VringFile.SizeBytes) return Refuse(VhostUserRejectReason.WrongPayloadSize, out reason);
        ulong value = BinaryPrimitives.ReadUInt64LittleEndian(p);
        if ((value & ~(VringFile.IndexMask | VringFile.NoFdMask)) != 0) return Refuse(VhostUserRejectReason.ReservedBitsSet, out reason);
        var file = new VringFile((uint)(value & VringFile.IndexMask), (value & VringFile.NoFdMask) != 0);
        int expected = file.NoFd ? 0 : 1;
        if (fds > expected) return Refuse(VhostUserRejectReason.UnexpectedFds, out reason);
        if (fds < expected) return Refuse(VhostUserRejectReason.MissingFds, out reason);
        reason = VhostUserRejectReason.None;
        return new VhostUserMessage { Header = h, VringFile = file, FdCount = expected };
    }

    private static VhostUserMessage? SlaveChannel(in VhostUserHeader h, ReadOnlySpan<byte> p, int fds, out VhostUserRejectReason reason)
    {
        if (p.Length != 0) return Refuse(VhostUserRejectReason.WrongPayloadSize, out reason);
        if (fds > 1) return Refuse(VhostUserRejectReason.UnexpectedFds, out reason);
        if (fds < 1) return Refuse(VhostUserRejectReason.MissingFds, out reason);
        reason = VhostUserRejectReason.None;
        return new VhostUserMessage { Header = h, FdCount = 1 };
    }

    // UML always sends the 72 bytes of its two-region struct, with one region in use: accept any
    // size that holds the regions counted, up to the 8 the protocol allows.
    private static VhostUserMessage? MemTable(in VhostUserHeader h, ReadOnlySpan<byte> p, int fds, out VhostUserRejectReason reason)
    {
        if (p.Length < MemoryTableHeaderBytes || p.Length > MemoryTableHeaderBytes + MaxRegions * MemoryRegionDescription.EncodedBytes)
        {
            return Refuse(VhostUserRejectReason.WrongPayloadSize, out reason);
        }
        uint count = BinaryPrimitives.ReadUInt32LittleEndian(p);
        if (count > MaxRegions || (ulong)MemoryTableHeaderBytes + count * MemoryRegionDescription.EncodedBytes > (ulong)p.Length)
        {
            return Refuse(VhostUserRejectReason.TooManyRegions, out reason);
        }
        if (fds > count) return Refuse(VhostUserRejectReason.UnexpectedFds, out reason);
        if (fds < count) return Refuse(VhostUserRejectReason.MissingFds, out reason);
        var regions = new MemoryRegionDescription[count];
        for (int i = 0; i < count; i++)
        {
            var r = MemoryRegionDescription.Read(p[(MemoryTableHeaderBytes + i * MemoryRegionDescription.EncodedBytes)..]);
            if (r.SizeBytes == 0) return Refuse(VhostUserRejectReason.EmptyRegion, out reason);
            if (r.GuestAddress > ulong.MaxValue - r.SizeBytes || r.UserAddress > ulong.MaxValue - r.SizeBytes
                || r.MmapOffset > ulong.MaxValue - r.SizeBytes)
            {
                return Refuse(VhostUserRejectReason.RegionOverflow, out reason);
            }
            for (int j = 0; j < i; j++)
            {
                if (Overlap(r.GuestAddress, regions[j].GuestAddress, r.SizeBytes, regions[j].SizeBytes)
                    || Overlap(r.UserAddress, regions[j].UserAddress, r.SizeBytes, regions[j].SizeBytes))
                {
                    return Refuse(VhostUserRejectReason.RegionsOverlap, out reason);
                }
            }
            regions[i] = r;
        }
        reason = VhostUserRejectReason.None;
        return new VhostUserMessage { Header = h, Regions = regions, FdCount = (int)count };
    }

    private static VhostUserMessage? Config(in VhostUserHeader h, ReadOnlySpan<byte> p, int fds, out VhostUserRejectReason reason)
    {
        if (fds != 0) return Refuse(VhostUserRejectReason.UnexpectedFds, out reason);
        if (p.Length == 0) return Refuse(VhostUserRejectReason.EmptyConfig, out reason);
        if (p.Length < VhostUserConfig.HeaderBytes) return Refuse(VhostUserRejectReason.WrongPayloadSize, out reason);
        uint offset = BinaryPrimitives.ReadUInt32LittleEndian(p);
        uint size = BinaryPrimitives.ReadUInt32LittleEndian(p[4..]);
        uint flags = BinaryPrimitives.ReadUInt32LittleEndian(p[8..]);
        if (size == 0) return Refuse(VhostUserRejectReason.EmptyConfig, out reason);
        if (size > VhostUserConfig.MaxSizeBytes || p.Length != VhostUserConfig.HeaderBytes + size)
        {
            return Refuse(VhostUserRejectReason.ConfigSizeMismatch, out reason);
        }
        reason = VhostUserRejectReason.None;
        return new VhostUserMessage { Header = h, Config = new VhostUserConfig(offset, size, flags, p[VhostUserConfig.HeaderBytes..].ToArray()) };
    }

    private static bool Overlap(ulong a, ulong b, ulong aSize, ulong bSize) => a < b ? b - a < aSize : a - b < bSize;

    private static bool Expect(bool sizeOk, bool fdsOk, out VhostUserRejectReason reason)
    {
        reason = !sizeOk ? VhostUserRejectReason.WrongPayloadSize : !fdsOk ? VhostUserRejectReason.UnexpectedFds : VhostUserRejectReason.None;
        return reason == VhostUserRejectReason.None;
    }

    private static VhostUserMessage? Refuse(VhostUserRejectReason why, out VhostUserRejectReason reason)
    {
        reason = why;
        return null;
    }

    private static string ToUpperSnake(string pascal)
    {
        var sb = new System.Text.StringBuilder();
        for (int i = 0; i < pascal.Length; i++)
        {
            if (i > 0 && char.IsUpper(pascal[i])) sb.Append('_');
            sb.Append(char.ToUpperInvariant(pascal[i]));
        }
        return sb.ToString();
    }
}
