using System.Buffers.Binary;

namespace MiniVmm.VhostUser.Protocol;

/// <summary>
/// Builds whole messages (header + payload) as bytes: the back end's replies (flags exactly 0x5)
/// and requests, which the tests and our own front end send.
/// </summary>
public static class VhostUserEncoder
{
    /// <summary>A reply to <paramref name="request"/> carrying <paramref name="payload"/>.</summary>
    public static byte[] Reply(VhostUserRequest request, ReadOnlySpan<byte> payload) =>
        Message((uint)request, VhostUserHeader.ReplyFlags, payload);

    /// <summary>The REPLY_ACK answer: the request's header with REPLY, and a u64 status (0 = ok).</summary>
    public static byte[] Ack(VhostUserRequest request, ulong status) => U64Reply(request, status);

    public static byte[] U64Reply(VhostUserRequest request, ulong value)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, value);
        return Reply(request, payload);
    }

    public static byte[] VringStateReply(VringState state)
    {
        Span<byte> payload = stackalloc byte[VringState.SizeBytes];
        state.Write(payload);
        return Reply(VhostUserRequest.GetVringBase, payload);
    }

    /// <summary>A front-end request (flags version 1, plus NEED_REPLY when asked).</summary>
    public static byte[] Request(VhostUserRequest request, ReadOnlySpan<byte> payload, bool needReply = false) =>
        Message((uint)request, VhostUserHeaderFlags.Version1 | (needReply ? VhostUserHeaderFlags.NeedReply : 0), payload);

    public static byte[] U64Request(VhostUserRequest request, ulong value, bool needReply = false)
    {
        Span<byte> payload = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(payload, value);
        return Request(request, payload, needReply);
    }

    public static byte[] StateRequest(VhostUserRequest request, VringState state, bool needReply = false)
    {
        Span<byte> payload = stackalloc byte[VringState.SizeBytes];
        state.Write(payload);
        return Request(request, payload, needReply);
    }

    public static byte[] AddressRequest(VringAddress address, bool needReply = false)
    {
        Span<byte> payload = stackalloc byte[VringAddress.SizeBytes];
        address.Write(payload);
        return Request(VhostUserRequest.SetVringAddr, payload, needReply);
    }

    /// <summary>SET_MEM_TABLE with room for <paramref name="slots"/> regions (UML sends 2 slots, 72 bytes, for one region).</summary>
    public static byte[] MemTableRequest(IReadOnlyList<MemoryRegionDescription> regions, int slots = -1, bool needReply = false)
    {
        int n = slots < 0 ? regions.Count : slots;
        var payload = new byte[VhostUserParser.MemoryTableHeaderBytes + n * MemoryRegionDescription.EncodedBytes];
        BinaryPrimitives.WriteUInt32LittleEndian(payload, (uint)regions.Count);
        for (int i = 0; i < regions.Count; i++) regions[i].Write(payload.AsSpan(VhostUserParser.MemoryTableHeaderBytes + i * MemoryRegionDescription.EncodedBytes));
        return Request(VhostUserRequest.SetMemTable, payload, needReply);
    }

    public static byte[] ConfigMessage(VhostUserRequest request, VhostUserConfig config, bool reply, bool needReply = false)
    {
        var payload = new byte[config.EncodedBytes];
        config.Write(payload);
        return reply ? Reply(request, payload) : Request(request, payload, needReply);
    }

    /// <summary>A back-end request on the slave channel, with no reply asked for.</summary>
    public static byte[] SlaveRequest(VhostUserSlaveRequest request, ReadOnlySpan<byte> payload) =>
        Message((uint)request, VhostUserHeaderFlags.Version1, payload);

    public static byte[] Message(uint request, VhostUserHeaderFlags flags, ReadOnlySpan<byte> payload)
    {
        var bytes = new byte[VhostUserHeader.SizeBytes + payload.Length];
        new VhostUserHeader(request, flags, (uint)payload.Length).Write(bytes);
        payload.CopyTo(bytes.AsSpan(VhostUserHeader.SizeBytes));
        return bytes;
    }
}
