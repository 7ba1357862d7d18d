using System.Buffers.Binary;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Testing;

/// <summary>A back-end queue over two in-memory packet lists (each packet starts with a <see cref="Header"/>-sized header).</summary>
public sealed class FakeNetBackendQueue : INetBackendQueue
{
    public Queue<byte[]> ToGuest { get; } = new();
    public List<byte[]> FromGuest { get; } = [];

    /// <summary>What the device is told the packets carry (12 bytes by default).</summary>
    public BackendHeader Header { get; set; } = BackendHeader.V1;

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

    /// <summary>Queues a frame behind a header of <see cref="Header"/> size with the given offload bytes (zero by default).</summary>
    public void Inject(byte[] frame, byte flags = 0, byte gsoType = 0) => ToGuest.Enqueue(Packet(frame, flags, gsoType));

    /// <summary>Queues a frame behind a 20-byte header whose hash fields "the kernel" filled.</summary>
    public void InjectWithHash(byte[] frame, uint hashValue, ushort hashReport)
    {
        byte[] packet = Packet(frame, 0, 0);
        BinaryPrimitives.WriteUInt32LittleEndian(packet.AsSpan(12), hashValue);
        BinaryPrimitives.WriteUInt16LittleEndian(packet.AsSpan(16), hashReport);
        ToGuest.Enqueue(packet);
    }

    private byte[] Packet(byte[] frame, byte flags, byte gsoType)
    {
        var packet = new byte[Header.Bytes + frame.Length];
        packet[0] = flags;
        packet[1] = gsoType;
        frame.CopyTo(packet, Header.Bytes);
        return packet;
    }
}
