using System.Buffers.Binary;
using MiniVmm.Rss;
using MiniVmm.Virtio.Net;

namespace MiniVmm.Testing;

/// <summary>
/// A back-end queue over two in-memory packet lists (each packet starts with a <see cref="HeaderBytes"/>
/// header). The reported hash is, in this order: <see cref="FixedHash"/> when set, the header's hash
/// fields when <see cref="HashFromHeader"/> (as a kernel that hashes fills them), else the in-process hash.
/// </summary>
public sealed class FakeNetBackendQueue : INetBackendQueue
{
    public Queue<byte[]> ToGuest { get; } = new();
    public List<byte[]> FromGuest { get; } = [];

    public int HeaderBytes { get; set; } = VirtioNetHeader.Bytes;

    /// <summary>Answers every <see cref="HashOf"/> with this hash, whatever the packet.</summary>
    public RxHash? FixedHash { get; set; }

    /// <summary>Reports the hash fields of the 20-byte header, as the kernel back end does.</summary>
    public bool HashFromHeader { get; set; }

    /// <summary>How often the device asked for a hash, and with which configuration last.</summary>
    public int HashAsked { get; private set; }
    public RssConfiguration? LastHashConfiguration { get; private set; }

    /// <summary>What <see cref="Write"/> answers (Done by default).</summary>
    public BackendResult WriteResult { get; set; } = BackendResult.Written;

    /// <summary>Results <see cref="Read"/> returns before any packet (errors, drops); consumed one per call.</summary>
    public Queue<BackendResult> ReadResults { get; } = new();

    public BackendResult Read(Span<byte> packet)
    {
        if (ReadResults.TryDequeue(out BackendResult result)) return result;
        if (!ToGuest.TryDequeue(out byte[]? next)) return BackendResult.WouldBlock;
        next.CopyTo(packet);
        return BackendResult.Packet(next.Length);
    }

    public BackendResult Write(ReadOnlySpan<byte> packet)
    {
        if (WriteResult.Status == BackendStatus.Done) FromGuest.Add(packet.ToArray());
        return WriteResult;
    }

    public RxHash HashOf(ReadOnlySpan<byte> packet, RssConfiguration configuration)
    {
        HashAsked++;
        LastHashConfiguration = configuration;
        if (FixedHash is RxHash fixedHash) return fixedHash;
        if (HashFromHeader) return VirtioNetHeader.ReadHash(packet);
        RssResult result = RssHasher.Compute(packet[HeaderBytes..], configuration);
        return new RxHash(result.HashValue, result.HashReport);
    }

    /// <summary>Queues a frame behind a header of <see cref="HeaderBytes"/> size with the given offload bytes (zero by default).</summary>
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
        var packet = new byte[HeaderBytes + frame.Length];
        packet[0] = flags;
        packet[1] = gsoType;
        frame.CopyTo(packet, HeaderBytes);
        return packet;
    }
}
