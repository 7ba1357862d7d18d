using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

namespace MiniVmm.Testing;

/// <summary>A back-end port that hashed its packets already (as software steering does) and answers for them.</summary>
public sealed class HashingFakeNetBackendQueue(uint hash, VirtioNetHashReport report) : INetBackendQueue, IRxHashProvider
{
    public FakeNetBackendQueue Inner { get; } = new();

    public int Asked { get; private set; }

    public int Read(Span<byte> packetWithVnetHeader) => Inner.Read(packetWithVnetHeader);

    public bool Write(ReadOnlySpan<byte> packetWithVnetHeader) => Inner.Write(packetWithVnetHeader);

    public bool TryComputeHash(ReadOnlySpan<byte> frame, RssConfiguration configuration, out uint hashValue, out VirtioNetHashReport hashReport)
    {
        Asked++;
        hashValue = hash;
        hashReport = report;
        return true;
    }
}
