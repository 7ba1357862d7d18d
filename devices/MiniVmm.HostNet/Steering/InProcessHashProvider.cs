using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

namespace MiniVmm.HostNet.Steering;

/// <summary>The VMM's own hash for HASH_REPORT (virtio 1.2 §5.1.6.4.3), for back ends whose kernel cannot store it.</summary>
public sealed class InProcessHashProvider : IRxHashProvider
{
    public static InProcessHashProvider Instance { get; } = new();

    public bool TryComputeHash(ReadOnlySpan<byte> frame, RssConfiguration configuration, out uint hashValue, out VirtioNetHashReport hashReport)
    {
        RssResult result = RssHasher.Compute(frame, configuration);
        hashValue = result.HashValue;
        hashReport = result.HashReport;
        return hashReport != VirtioNetHashReport.None;
    }
}
