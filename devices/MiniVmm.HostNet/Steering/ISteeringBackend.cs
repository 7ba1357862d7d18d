using MiniVmm.Native;
using MiniVmm.Virtio.Net;
using MiniVmm.Rss;

namespace MiniVmm.HostNet.Steering;

/// <summary>
/// A steering back end as the machine uses it (the table in ARCHITECTURE.md): which port each queue
/// pair reads and writes, who computes the reported hash, and what to do when the guest changes
/// its RSS configuration or number of queue pairs.
/// </summary>
public interface ISteeringBackend : IDisposable
{
    SteeringBackendKind Kind { get; }

    /// <summary>The back-end port of queue pair <paramref name="pair"/>.</summary>
    INetBackendQueue PortOf(int pair);

    /// <summary>An extra wake-up the worker of <paramref name="pair"/> must watch (software re-steering), or null.</summary>
    EventFd? WakeupOf(int pair);

    /// <summary>The in-process hash for HASH_REPORT, used for packets whose port header is not <see cref="BackendHeader.HashFilled"/>; null when the kernel always fills it.</summary>
    IRxHashProvider? HashProvider { get; }

    /// <summary>The guest set a new RSS/hash configuration (null: off) or number of queue pairs.</summary>
    void Configure(RssConfiguration? configuration, int activePairs);
}
