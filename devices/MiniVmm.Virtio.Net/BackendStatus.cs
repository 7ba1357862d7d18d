namespace MiniVmm.Virtio.Net;

/// <summary>What one read or write on a back-end queue did.</summary>
public enum BackendStatus
{
    /// <summary>A packet was read (its length in <see cref="BackendResult.Bytes"/>) or written.</summary>
    Done,

    /// <summary>Nothing to read, or no room to write (EAGAIN): wait for the queue fd, nothing is lost.</summary>
    WouldBlock,

    /// <summary>This one packet is unusable (truncated, refused as malformed): it is dropped, the queue is fine.</summary>
    Dropped,

    /// <summary>The queue itself failed (errno in <see cref="BackendResult.Errno"/>); persistent errors fail the pair.</summary>
    Error,
}
