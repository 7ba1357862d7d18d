// TEMPORARY: the rss helper's devices/MiniVmm.Virtio.Net/Rss/RssResult.cs replaces this file at
// merge (same name, namespace and shape as CONTRACTS.md). The lead deletes it.
namespace MiniVmm.Virtio.Net.Rss;

/// <summary>What RSS decided for one frame (CONTRACTS.md): HashValue 0 and the unclassified queue when nothing was hashed.</summary>
public readonly record struct RssResult(uint HashValue, VirtioNetHashReport HashReport, ushort Queue);
