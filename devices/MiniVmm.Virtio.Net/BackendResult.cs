namespace MiniVmm.Virtio.Net;

/// <summary>The result of one <see cref="INetBackendQueue"/> read or write: a status, the packet's bytes, the errno.</summary>
public readonly record struct BackendResult(BackendStatus Status, int Bytes = 0, int Errno = 0)
{
    public static BackendResult Packet(int bytes) => new(BackendStatus.Done, bytes);

    public static BackendResult Written => new(BackendStatus.Done);

    public static BackendResult WouldBlock => new(BackendStatus.WouldBlock);

    public static BackendResult Dropped(int errno) => new(BackendStatus.Dropped, 0, errno);

    public static BackendResult Failed(int errno) => new(BackendStatus.Error, 0, errno);
}
