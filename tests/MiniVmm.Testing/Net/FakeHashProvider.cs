using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

namespace MiniVmm.Testing;

/// <summary>Reports a fixed hash for every frame, so tests can see where the device puts it.</summary>
public sealed class FakeHashProvider(uint hash, VirtioNetHashReport report) : IRxHashProvider
{
    public RssConfiguration? LastConfiguration { get; private set; }

    public bool TryComputeHash(ReadOnlySpan<byte> frame, RssConfiguration configuration, out uint hashValue, out VirtioNetHashReport hashReport)
    {
        LastConfiguration = configuration;
        hashValue = hash;
        hashReport = report;
        return true;
    }
}
