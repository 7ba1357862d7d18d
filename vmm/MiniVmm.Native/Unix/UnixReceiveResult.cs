namespace MiniVmm.Native.Unix;

/// <summary>
/// What one recvmsg(2) returned: <see cref="Bytes"/> read (0 = end of stream), and whether the
/// kernel dropped descriptors because the control buffer was full (MSG_CTRUNC): the peer then
/// sent more than <see cref="UnixSocketAbi.MaxFdsPerMessage"/>, and the ones that did fit were
/// still received (and must be closed).
/// </summary>
public readonly record struct UnixReceiveResult(int Bytes, bool FdsTruncated);
