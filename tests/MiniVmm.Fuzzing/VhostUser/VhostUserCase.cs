namespace MiniVmm.Fuzzing.VhostUser;

/// <summary>
/// One input of the vhost-user target: up to 64 messages, each: u8 request (any number, unknown ones
/// included), u8 flags (bits 0-3 as sent: version, REPLY, NEED_REPLY; bit 7 adds an undefined bit),
/// u8 shape (bit 0: the header claims a size of its own, u16 next; bits 4-7: descriptors, mod 10),
/// u16 payload length (mod 300) and the payload.
/// </summary>
public static class VhostUserCase
{
    public const int MaxMessages = 64;

    public static List<VhostUserFuzzMessage> Read(ReadOnlySpan<byte> input)
    {
        var r = new FuzzReader(input);
        var messages = new List<VhostUserFuzzMessage>();
        while (messages.Count < MaxMessages && !r.IsEmpty)
        {
            uint request = r.U8();
            byte flags = r.U8();
            byte shape = r.U8();
            uint? claimed = (shape & 1) != 0 ? r.U16() : null;
            byte[] payload = r.Bytes(r.U16() % 300).ToArray();
            messages.Add(new VhostUserFuzzMessage(request, (flags & 0x0Fu) | ((flags & 0x80u) << 1), claimed, payload, (shape >> 4) % 10));
        }
        return messages;
    }

    /// <summary>The input that reads back as these messages (seed corpora).</summary>
    public static byte[] Write(IEnumerable<VhostUserFuzzMessage> messages)
    {
        var input = new FuzzInputBuilder();
        foreach (VhostUserFuzzMessage m in messages)
        {
            input.U8((int)m.Request).U8((int)(m.Flags & 0x0F)).U8((m.FdCount << 4) | (m.ClaimedSize is null ? 0 : 1));
            if (m.ClaimedSize is uint size) input.U16((int)size);
            input.U16(m.Payload.Length).Bytes(m.Payload);
        }
        return input.ToArray();
    }
}
