using MiniVmm.Virtio.Net;

namespace MiniVmm.UnitTests.Fakes;

/// <summary>A back-end queue over two in-memory packet lists (each packet starts with its 12-byte header).</summary>
public sealed class FakeNetBackendQueue : INetBackendQueue
{
    public Queue<byte[]> ToGuest { get; } = new();
    public List<byte[]> FromGuest { get; } = [];

    public int Read(Span<byte> packetWithVnetHeader)
    {
        if (!ToGuest.TryDequeue(out byte[]? packet))
        {
            return 0;
        }
        packet.CopyTo(packetWithVnetHeader);
        return packet.Length;
    }

    public bool Write(ReadOnlySpan<byte> packetWithVnetHeader)
    {
        FromGuest.Add(packetWithVnetHeader.ToArray());
        return true;
    }

    /// <summary>Queues a frame behind a header with the given offload bytes (zero by default).</summary>
    public void Inject(byte[] frame, byte flags = 0, byte gsoType = 0)
    {
        var packet = new byte[12 + frame.Length];
        packet[0] = flags;
        packet[1] = gsoType;
        frame.CopyTo(packet, 12);
        ToGuest.Enqueue(packet);
    }
}
