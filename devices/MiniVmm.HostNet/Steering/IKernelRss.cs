using MiniVmm.Rss;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// The tun driver's own RSS and hash report, as the kernel back end drives it: <see cref="TunKernelRss"/>
/// (the v12 ioctls of the unmerged series, <see cref="TunVnetHashing"/>) in production, a recorder in tests.
/// </summary>
public interface IKernelRss
{
    /// <summary>RSS_CONFIG (steering, with or without hash report) or HASH_CONFIG (report only).</summary>
    void Configure(RssConfiguration configuration, bool reportHash);

    /// <summary>Back to the kernel's automatic steering, no hash report.</summary>
    void Disable();
}
